/**
 * Parsers of `openclaw update --yes --json` and `openclaw update status --json`: the outcome of an
 * update (status ok/skipped/error, reason, report path, the failed step and its facts), the run that
 * `update status` reports (after a handoff, exit 75), and the reasons a failed update gives.
 */
import { z } from 'zod';
import { TransientError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import type { UpdateReport } from '../../../shared/update-report.js';
import { parseJson, type Captured } from './json.js';

export type { UpdateReport };

const Version = z.object({ version: z.string().nullish() }).loose().nullish();
const Fact = z.object({ check: z.string().nullish(), message: z.string().nullish() }).loose();
const Run = z
  .object({
    runId: z.string().nullish(),
    status: z.string(),
    phase: z.string().nullish(),
    reason: z.string().nullish(),
    before: Version,
    after: Version,
    target: z.object({ version: z.string().nullish(), kind: z.string().nullish() }).loose().nullish(),
  })
  .loose();

/** Top-level `status` (ok | skipped | error) since 2026.9; older output and dry runs only have `run.status`. */
const UpdateJson = z
  .object({
    status: z.string().optional(),
    reason: z.string().nullish(),
    reportPath: z.string().nullish(),
    before: Version,
    after: Version,
    failedStep: z
      .object({
        name: z.string().optional(),
        stderrTail: z.string().nullish(),
        failureFacts: z.array(Fact).optional(),
      })
      .loose()
      .nullish(),
    run: Run,
  })
  .loose();

const SUCCEEDED = ['ok', 'succeeded', 'completed'];

/** Reads an update's JSON whatever its outcome (readUpdate) — parseUpdate throws when it did not succeed. */
export function readUpdate(out: Captured): UpdateReport {
  const u = parseJson('openclaw update --json', out, UpdateJson, 'a JSON object with run.status');
  const status = u.status ?? u.run.status;
  const before = u.before?.version ?? u.run.before?.version;
  const after = u.after?.version ?? u.run.after?.version ?? u.run.target?.version;
  const facts = (u.failedStep?.failureFacts ?? []).map((f) =>
    quote(f.message ?? f.check ?? '', 300).replace(/\.$/, ''),
  );
  if (!facts.length && u.failedStep?.stderrTail) facts.push(quote(u.failedStep.stderrTail.split('\n')[0]!, 300));
  return {
    status,
    ...(u.reason || u.run.reason ? { reason: (u.reason || u.run.reason)! } : {}),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    changed: SUCCEEDED.includes(status) && !!after && after !== before,
    ...(u.reportPath ? { reportPath: u.reportPath } : {}),
    ...(u.run.runId ? { runId: u.run.runId } : {}),
    ...(u.run.target?.kind ? { installKind: u.run.target.kind } : {}),
    ...(u.failedStep?.name ? { failedStep: u.failedStep.name } : {}),
    facts,
  };
}

/** The update's outcome; a status other than ok/succeeded/skipped throws, naming its reason and report. */
export function parseUpdate(out: Captured): UpdateReport {
  const u = readUpdate(out);
  if (![...SUCCEEDED, 'skipped'].includes(u.status)) throw new TransientError(`${updateFailure(u)}.`);
  return u;
}

/** One line naming what went wrong: status, reason, the failed step, what it said, the report. */
export function updateFailure(u: UpdateReport): string {
  return (
    `openclaw update ended with status "${quote(u.status, 100)}"` +
    (u.reason ? ` (reason ${quote(u.reason, 200)})` : '') +
    (u.failedStep ? ` at step "${quote(u.failedStep, 200)}"` : '') +
    (u.facts.length ? `: ${u.facts.join('; ')}` : '') +
    (u.reportPath ? `; its report: ${u.reportPath}` : '')
  );
}

const UpdateStatusJson = z
  .object({
    update: z.object({ installKind: z.string().nullish(), root: z.string().nullish() }).loose(),
    activeRun: Run.nullish(),
    lastRun: Run.nullish(),
    runStatusError: z.unknown().optional(),
  })
  .loose();

export interface UpdateRunState {
  runId?: string;
  status: string;
  phase?: string;
  reason?: string;
  after?: string;
}

export interface UpdateStatus {
  /** git (a source checkout: the package root is the top of a git work tree) or package. */
  installKind: string;
  root?: string;
  /** The run in progress (a handed-off update still working), if any. */
  activeRun?: UpdateRunState;
  lastRun?: UpdateRunState;
  /** Set when the CLI could not read its update history. */
  runStatusError?: string;
}

const runState = (r: z.infer<typeof Run>): UpdateRunState => ({
  ...(r.runId ? { runId: r.runId } : {}),
  status: r.status,
  ...(r.phase ? { phase: r.phase } : {}),
  ...(r.reason ? { reason: r.reason } : {}),
  ...(r.after?.version || r.target?.version ? { after: (r.after?.version || r.target?.version)! } : {}),
});

export function parseUpdateStatus(out: Captured): UpdateStatus {
  const s = parseJson('openclaw update status --json', out, UpdateStatusJson, 'a JSON object with update.installKind');
  return {
    installKind: s.update.installKind ?? 'unknown',
    ...(s.update.root ? { root: s.update.root } : {}),
    ...(s.activeRun ? { activeRun: runState(s.activeRun) } : {}),
    ...(s.lastRun ? { lastRun: runState(s.lastRun) } : {}),
    ...(s.runStatusError !== undefined
      ? {
          runStatusError: quote(
            typeof s.runStatusError === 'string' ? s.runStatusError : JSON.stringify(s.runStatusError),
            300,
          ),
        }
      : {}),
  };
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
