/**
 * Parsers of `openclaw logs --json --limit N` (NDJSON records) and what the records say: `device token
 * mismatch` refusals counted, and refused connects one per refusal.
 */
import type { RefusalLine } from '../../../shared/facts.js';
import { z } from 'zod';
import { TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import { stringifySafe, type Captured } from './json.js';

const LogRecord = z
  .object({
    type: z.string(),
    time: z.string().optional(),
    level: z.string().optional(),
    message: z.string().optional(),
    subsystem: z.string().optional(),
  })
  .loose();
export type LogRecord = z.infer<typeof LogRecord>;

export function parseLogs(out: Captured): { records: LogRecord[]; localFallback: boolean } {
  const lines = out.stdout.split('\n').filter((l) => l.trim() !== '');
  // On failure the CLI prints one {"type":"error","message":...} record (on stderr) and nothing else.
  for (const line of [...lines, ...out.stderr.split('\n')]) {
    if (!/^\s*\{"type":"error"/.test(line)) continue;
    let failure: { message?: unknown } | null = null;
    try {
      failure = JSON.parse(line) as { message?: unknown } | null;
    } catch {
      // An error record cut short: quote the line itself.
    }
    const message =
      failure === null
        ? line
        : typeof failure.message === 'string'
          ? failure.message
          : stringifySafe(failure.message, line);
    throw new TransientError(`openclaw logs failed: ${quote(message, 500)}`);
  }
  if (lines.length === 0)
    throw new UnexpectedOutputError(
      'openclaw logs --json',
      'NDJSON log records (at least a meta line)',
      quote(out.stderr || '(nothing)'),
    );
  const records: LogRecord[] = [];
  let localFallback = false;
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new UnexpectedOutputError('openclaw logs --json', 'one JSON object per line', quote(line, 500));
    }
    const r = LogRecord.safeParse(parsed);
    if (!r.success)
      throw new UnexpectedOutputError('openclaw logs --json', 'records with a type field', quote(line, 500));
    if (r.data.type === 'meta' && (r.data as { localFallback?: unknown }).localFallback === true) localFallback = true;
    records.push(r.data);
  }
  return { records, localFallback };
}

/** The window and filter for counting `device token mismatch` lines. */
export interface MismatchQuery {
  sinceMs: number;
  untilMs?: number;
  /** Count only lines that mention this device (or its client name); all devices when omitted. */
  mention?: string;
}

/**
 * Counts gateway log lines that report a device token mismatch in [sinceMs, untilMs]. Status probes
 * leave harmless `mode=probe` 1008 lines: those are not counted. One failed connect logs two lines
 * (`unauthorized ... reason=device_token_mismatch` and `closed before connect ... authReason=...`):
 * only the first is counted, so the count is the number of refused connects.
 */
export function countMismatches(records: LogRecord[], q: MismatchQuery): { count: number; samples: string[] } {
  const samples: string[] = [];
  let count = 0;
  for (const r of records) {
    if (r.type !== 'log' || !r.message || !r.time) continue;
    const t = Date.parse(r.time);
    if (Number.isNaN(t) || t < q.sinceMs || (q.untilMs !== undefined && t > q.untilMs)) continue;
    const m = r.message;
    if (/mode=probe/.test(m)) continue;
    if (!/reason=device_token_mismatch|device token mismatch/.test(m) || /authReason=/.test(m)) continue;
    if (q.mention && !m.includes(q.mention) && !stringifySafe(r, '').includes(q.mention)) continue;
    count++;
    if (samples.length < 3) samples.push(quote(`${r.time} ${m}`, 600));
  }
  return { count, samples };
}

export type { RefusalLine };

const REFUSAL = /^unauthorized\s.*\breason=(device_token_mismatch|scope_mismatch)\b/;
const field = (m: string, name: string): string | null => {
  const v = new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(m)?.[1];
  return v === undefined || v === 'n/a' ? null : v;
};

/**
 * The refused connects (token or scope mismatch) in [sinceMs, untilMs], oldest first. Status probes
 * (`mode=probe`) and the second line of each refusal (`closed before connect ... authReason=`) are
 * skipped, so there is one entry per refused connect.
 */
export function refusedConnects(records: LogRecord[], q: { sinceMs: number; untilMs?: number }): RefusalLine[] {
  const out: RefusalLine[] = [];
  for (const r of records) {
    if (r.type !== 'log' || !r.message || !r.time) continue;
    const atMs = Date.parse(r.time);
    if (Number.isNaN(atMs) || atMs < q.sinceMs || (q.untilMs !== undefined && atMs > q.untilMs)) continue;
    const m = r.message;
    const reason = REFUSAL.exec(m)?.[1] as RefusalLine['reason'] | undefined;
    if (!reason || /mode=probe/.test(m)) continue;
    // `client=<id> <mode> v<version>`: three words after client=.
    const client = /\bclient=(\S+) (\S+) v(\S+)/.exec(m);
    const scopes = field(m, 'scopes');
    out.push({
      time: r.time,
      atMs,
      reason,
      conn: field(m, 'conn'),
      remote: field(m, 'remote'),
      clientId: client?.[1] ?? field(m, 'client'),
      clientMode: client?.[2] ?? null,
      clientVersion: client?.[3] ?? null,
      role: field(m, 'role'),
      scopeCount: scopes !== null && /^\d+$/.test(scopes) ? Number(scopes) : null,
      auth: field(m, 'auth'),
      platform: field(m, 'platform'),
      clientInstance: field(m, 'instance'),
    });
  }
  return out;
}
