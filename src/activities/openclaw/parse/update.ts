/**
 * Parsers of `openclaw update --yes --json` (source checkouts): its outcome, and the reasons a failed
 * update gives.
 */
import { z } from 'zod';
import { TransientError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import { parseJson, type Captured } from './json.js';

const UpdateJson = z
  .object({
    run: z
      .object({
        status: z.string(),
        reason: z.string().optional(),
        before: z.object({ version: z.string().optional() }).loose().optional(),
        after: z.object({ version: z.string().optional() }).loose().optional(),
        target: z.object({ version: z.string().optional() }).loose().optional(),
        error: z.unknown().optional(),
      })
      .loose(),
  })
  .loose();

export interface UpdateOutcome {
  status: string;
  reason?: string;
  before?: string;
  after?: string;
  changed: boolean;
}

export function parseUpdate(out: Captured): UpdateOutcome {
  const u = parseJson('openclaw update --json', out, UpdateJson, 'a JSON object with run.status').run;
  const outcome: UpdateOutcome = {
    status: u.status,
    reason: u.reason,
    before: u.before?.version,
    after: u.after?.version ?? u.target?.version,
    changed: u.status === 'succeeded' || u.status === 'completed' || u.status === 'ok',
  };
  if (!['succeeded', 'completed', 'ok', 'skipped'].includes(u.status)) {
    throw new TransientError(
      `openclaw update ended with status "${quote(u.status, 100)}"${u.reason ? ` (${quote(u.reason, 500)})` : ''}; expected succeeded or skipped.`,
    );
  }
  return outcome;
}

/**
 * The reasons a failed `openclaw update` gives, pulled from its JSON (`reason`, `message`,
 * `stderrTail` fields), wherever they sit in stdout/stderr: its useful part is buried under warnings.
 */
export function updateFailureReasons(out: Captured): string[] {
  const text = `${out.stdout}\n${out.stderr}`;
  const found = new Set<string>();
  for (const m of text.matchAll(/"(?:reason|message|stderrTail|error)"\s*:\s*"((?:[^"\\]|\\.){3,400})"/g)) {
    let value: string;
    try {
      value = JSON.parse(`"${m[1]}"`) as string;
    } catch {
      value = m[1]!;
    }
    found.add(quote(value, 400));
  }
  return [...found].slice(0, 6);
}
