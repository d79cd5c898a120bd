/**
 * The gateway log, read bounded (`openclaw logs --json --limit N`, never --follow): `device token
 * mismatch` refusals counted, and the refused connects of a time window.
 */
import type { GatewayAccess } from '../../shared/inventory.js';
import type { CallContext } from '../call-context.js';
import { expectExit, runCli } from './cli.js';
import * as parse from './parse/index.js';

/**
 * Counts `device token mismatch` refusals in the gateway log between `sinceMs` and `untilMs`: a bounded
 * read (`openclaw logs --json --limit N`), never `--follow`.
 */
export async function countTokenMismatches(
  access: GatewayAccess,
  query: parse.MismatchQuery & { limit?: number },
  ctx: CallContext,
): Promise<{ count: number; samples: string[]; localFallback: boolean; linesRead: number }> {
  const { records, localFallback } = await readLogs(access, query.limit ?? 2000, ctx);
  return { ...parse.countMismatches(records, query), localFallback, linesRead: records.length };
}

/** `openclaw logs --json --limit N`: the last N records of the gateway log (a bounded read, never --follow). */
async function readLogs(
  access: GatewayAccess,
  limit: number,
  ctx: CallContext,
): Promise<{ records: parse.LogRecord[]; localFallback: boolean }> {
  const r = await runCli(access, {
    args: ['logs', '--json', '--limit', String(limit), '--max-bytes', '1000000'],
    remote: true,
    ...ctx,
  });
  const logs = parse.parseLogs(r);
  expectExit(r, [0], 'exit 0 with NDJSON log records');
  return logs;
}

/** The refused connects (token or scope mismatch) the gateway logged in the window, one per refusal. */
export async function refusedConnects(
  access: GatewayAccess,
  query: { sinceMs: number; untilMs?: number; limit?: number },
  ctx: CallContext,
): Promise<{ refusals: parse.RefusalLine[]; localFallback: boolean; linesRead: number }> {
  const { records, localFallback } = await readLogs(access, query.limit ?? 5000, ctx);
  return { refusals: parse.refusedConnects(records, query), localFallback, linesRead: records.length };
}
