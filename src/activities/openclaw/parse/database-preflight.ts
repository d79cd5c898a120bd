/**
 * Parser of `openclaw database preflight <copy> --json` / `preflight-agent <copy> --agent-id <id> --json`.
 */
import { z } from 'zod';
import { quote } from '../../host/redact.js';
import { parseJson, stringifySafe, throwIfErrorEnvelope, type Captured } from './json.js';

export const PREFLIGHT_STATUSES = [
  'exact',
  'startup-repairable',
  'migration-required',
  'incompatible',
  'indeterminate',
] as const;
export type PreflightStatus = (typeof PREFLIGHT_STATUSES)[number];

const DatabasePreflightJson = z
  .object({
    schema: z.enum(['openclaw.state-schema-preflight.v1', 'openclaw.agent-schema-preflight.v1']),
    databasePath: z.string(),
    targetVersion: z.number().nullable().optional(),
    foundVersion: z.number().nullable().optional(),
    status: z.enum(PREFLIGHT_STATUSES),
    requiresWrite: z.boolean().optional(),
    reason: z.string().optional(),
    issues: z.array(z.unknown()).default([]),
  })
  .loose();

export interface DatabasePreflight {
  kind: 'state' | 'agent';
  databasePath: string;
  status: PreflightStatus;
  /** The schema version the release supports and the one the file has. */
  targetVersion: number | null;
  foundVersion: number | null;
  /** Why it is not exact, in the CLI's words (reason, issues, versions). */
  detail?: string;
}

/**
 * `database preflight` / `preflight-agent` with --json. Exit codes differ (state: 0 even for
 * migration-required; agent: 1 for anything but exact), so only the JSON `status` decides; only
 * `exact` proves the release opens the file unchanged.
 */
export function parseDatabasePreflight(out: Captured): DatabasePreflight {
  throwIfErrorEnvelope('openclaw database preflight', out, /^$/);
  const j = parseJson(
    'openclaw database preflight --json',
    out,
    DatabasePreflightJson,
    'a state- or agent-schema-preflight.v1 JSON object with status',
  );
  const versions = `schema ${j.foundVersion ?? '?'} in the file, ${j.targetVersion ?? '?'} supported by this release`;
  const issues = j.issues.length ? `issues: ${quote(stringifySafe(j.issues, '(unprintable)'), 500)}` : '';
  const detail =
    j.status === 'exact'
      ? undefined
      : [j.reason ? quote(j.reason, 500) : '', issues, versions].filter(Boolean).join('; ');
  return {
    kind: j.schema === 'openclaw.agent-schema-preflight.v1' ? 'agent' : 'state',
    databasePath: j.databasePath,
    status: j.status,
    targetVersion: j.targetVersion ?? null,
    foundVersion: j.foundVersion ?? null,
    ...(detail ? { detail } : {}),
  };
}
