/**
 * One pure parser per openclaw CLI command, each tested on real captured output (test/fixtures/openclaw).
 * A parser either returns a typed value or throws: UnexpectedOutputError (quoting what was seen, tokens
 * redacted) when the output is not what the pinned CLI prints, ConfigurationError when the CLI says the
 * request itself is wrong (unknown device, unknown request), TransientError when the gateway could not
 * be reached. Never a guess: exit codes are not trusted (several say 0 when the gateway is down).
 */
import { z } from 'zod';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';

/** What a parser gets: the command's output as captured. */
export interface Captured {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function parseJson<T>(command: string, out: Captured, schema: z.ZodType<T>, expected: string): T {
  const text = out.stdout.trim();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UnexpectedOutputError(command, expected, quote(text || out.stderr || '(nothing)'));
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new UnexpectedOutputError(command, `${expected} (${where})`, quote(text));
  }
  return result.data;
}

/** JSON.stringify that cannot throw: a value it cannot print (nested too deep) gives `fallback`. */
function stringifySafe(value: unknown, fallback: string): string {
  try {
    return JSON.stringify(value) ?? fallback;
  } catch {
    return fallback;
  }
}

/** The CLI's error envelope, printed on stdout with exit 1: `{"ok":false,"error":{type,message}}`. */
const ErrorEnvelope = z.object({
  ok: z.literal(false),
  error: z.object({ type: z.string(), message: z.string(), kind: z.string().optional() }).loose(),
});

/** Throws the typed error for a CLI error envelope, if `out` holds one. */
function throwIfErrorEnvelope(command: string, out: Captured, configMessages: RegExp): void {
  let data: unknown;
  try {
    data = JSON.parse(out.stdout.trim());
  } catch {
    return;
  }
  const env = ErrorEnvelope.safeParse(data);
  if (!env.success) return;
  const { type, message } = env.data.error;
  if (type === 'gateway_transport_error') {
    throw new TransientError(`${command}: the gateway is not reachable (${quote(message, 300)}). Expected a running gateway; check it with \`openclaw gateway status\`.`);
  }
  if (configMessages.test(message)) {
    throw new ConfigurationError(`${command}: the gateway refused: ${quote(message, 300)}`);
  }
  throw new TransientError(`${command}: the CLI failed (${quote(type, 100)}): ${quote(message, 500)}`);
}

// ---------------------------------------------------------------------------------------------------
// openclaw gateway status --json --require-rpc

const GatewayStatusJson = z
  .object({
    gateway: z.object({ port: z.number().optional(), version: z.string().nullable().optional(), probeUrl: z.string().optional() }).loose(),
    port: z
      .object({
        status: z.string().optional(),
        listeners: z.array(z.object({ pid: z.number().optional(), address: z.string().optional() }).loose()).default([]),
      })
      .loose()
      .optional(),
    rpc: z
      .object({
        ok: z.boolean(),
        version: z.string().nullable().optional(),
        server: z.object({ version: z.string().optional(), bootId: z.string().optional() }).loose().optional(),
        url: z.string().optional(),
        error: z.unknown().optional(),
      })
      .loose(),
  })
  .loose();

export interface GatewayStatus {
  /** Runtime running (a process listens on the gateway port) and the RPC probe answered. */
  healthy: boolean;
  runtimeRunning: boolean;
  rpcOk: boolean;
  /** The version the running gateway reports over RPC (null when it did not answer). */
  version: string | null;
  bootId: string | null;
  pid: number | null;
  url: string | null;
}

/**
 * `remote`: the CLI reached the gateway by --url, so it cannot see the gateway's process (the port
 * check is about this host): an answering RPC probe is then the proof that the runtime runs.
 */
export function parseGatewayStatus(out: Captured, opts: { remote?: boolean } = {}): GatewayStatus {
  const s = parseJson('openclaw gateway status --json', out, GatewayStatusJson, 'a JSON object with gateway, port and rpc');
  const listeners = s.port?.listeners ?? [];
  const rpcOk = s.rpc.ok === true;
  const runtimeRunning = opts.remote ? rpcOk : listeners.length > 0;
  return {
    healthy: rpcOk && runtimeRunning,
    runtimeRunning,
    rpcOk,
    version: rpcOk ? (s.rpc.server?.version ?? s.rpc.version ?? null) : null,
    bootId: s.rpc.server?.bootId ?? null,
    pid: listeners[0]?.pid ?? null,
    url: s.rpc.url ?? s.gateway.probeUrl ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------
// openclaw devices list --json

const TokenJson = z
  .object({
    role: z.string(),
    scopes: z.array(z.string()).default([]),
    createdAtMs: z.number().optional(),
    rotatedAtMs: z.number().optional(),
    revokedAtMs: z.number().optional(),
    lastUsedAtMs: z.number().optional(),
  })
  .loose();

const PairedJson = z
  .object({
    deviceId: z.string(),
    role: z.string().optional(),
    roles: z.array(z.string()).default([]),
    scopes: z.array(z.string()).default([]),
    connected: z.boolean().default(false),
    lastSeenAtMs: z.number().optional(),
    lastSeenReason: z.string().optional(),
    displayName: z.string().optional(),
    clientId: z.string().optional(),
    tokens: z.array(TokenJson).default([]),
  })
  .loose();

const PendingJson = z
  .object({
    requestId: z.string(),
    deviceId: z.string(),
    role: z.string().optional(),
    roles: z.array(z.string()).optional(),
    scopes: z.array(z.string()).default([]),
    clientId: z.string().optional(),
    reason: z.string().optional(),
    ts: z.number().optional(),
    createdAtMs: z.number().optional(),
  })
  .loose();

const DevicesListJson = z.object({ pending: z.array(PendingJson).default([]), paired: z.array(PairedJson).default([]) }).loose();

export type PairedDevice = z.infer<typeof PairedJson>;
export type PendingRequest = z.infer<typeof PendingJson>;
export type DeviceToken = z.infer<typeof TokenJson>;
export interface DevicesList {
  pending: PendingRequest[];
  paired: PairedDevice[];
}

export function parseDevicesList(out: Captured): DevicesList {
  throwIfErrorEnvelope('openclaw devices list', out, /^$/);
  return parseJson('openclaw devices list --json', out, DevicesListJson, 'a JSON object with pending and paired lists');
}

/** The live (not revoked) token of `device` for `role`, if any. */
export function tokenFor(device: PairedDevice, role: string): DeviceToken | undefined {
  return device.tokens.find((t) => t.role === role && t.revokedAtMs === undefined);
}

/**
 * Whether `device` came back after its `role` token was rotated: connected now, and seen after the
 * rotation (`lastUsedAtMs` is not reliable, `lastSeenAtMs` is).
 */
export function reconnectedAfterRotation(device: PairedDevice, role: string, rotatedAtMs: number): boolean {
  return device.connected && (device.lastSeenAtMs ?? 0) > rotatedAtMs && tokenFor(device, role) !== undefined;
}

// ---------------------------------------------------------------------------------------------------
// openclaw devices rotate / revoke / approve --json

const DENIED = /denied|unknown device|not paired|not found|invalid scope|scope/i;

const RotateJson = z
  .object({
    deviceId: z.string(),
    role: z.string(),
    scopes: z.array(z.string()).default([]),
    rotatedAtMs: z.number(),
    tokenDelivery: z.string().optional(),
  })
  .loose();
export type RotateResult = z.infer<typeof RotateJson>;

export function parseDevicesRotate(out: Captured): RotateResult {
  throwIfErrorEnvelope('openclaw devices rotate', out, DENIED);
  return parseJson('openclaw devices rotate --json', out, RotateJson, 'a JSON object with deviceId, role, scopes and rotatedAtMs');
}

const RevokeJson = z.object({ deviceId: z.string(), role: z.string(), revokedAtMs: z.number() }).loose();
export type RevokeResult = z.infer<typeof RevokeJson>;

export function parseDevicesRevoke(out: Captured): RevokeResult {
  throwIfErrorEnvelope('openclaw devices revoke', out, DENIED);
  return parseJson('openclaw devices revoke --json', out, RevokeJson, 'a JSON object with deviceId, role and revokedAtMs');
}

const ApproveJson = z
  .object({
    requestId: z.string().optional(),
    device: PairedJson.optional(),
    deviceId: z.string().optional(),
  })
  .loose()
  .refine((a) => a.device !== undefined || a.deviceId !== undefined, { message: 'expected the approved device' });

export interface ApproveResult {
  requestId: string;
  deviceId: string;
}

export function parseDevicesApprove(out: Captured, requestId: string): ApproveResult {
  if (out.exitCode !== 0 && /No pending device request matches/i.test(out.stderr + out.stdout)) {
    throw new ConfigurationError(
      `openclaw devices approve ${requestId}: no pending request has that id (it may have expired or been approved already). ` +
        'List the current ones with `openclaw devices list`.',
    );
  }
  throwIfErrorEnvelope('openclaw devices approve', out, DENIED);
  const a = parseJson('openclaw devices approve --json', out, ApproveJson, 'a JSON object describing the approved device');
  return { requestId, deviceId: a.device?.deviceId ?? a.deviceId! };
}

// ---------------------------------------------------------------------------------------------------
// openclaw channels status --probe --json

const ChannelsJson = z
  .object({
    gatewayReachable: z.boolean().optional(),
    error: z.string().optional(),
    channels: z.record(z.string(), z.unknown()).optional(),
    statusIssues: z.array(z.unknown()).optional(),
  })
  .loose();

export interface ChannelsStatus {
  gatewayReachable: boolean;
  healthy: boolean;
  channels: string[];
  issues: string[];
}

export function parseChannelsStatus(out: Captured): ChannelsStatus {
  const c = parseJson('openclaw channels status --probe --json', out, ChannelsJson, 'a JSON object with channels and statusIssues');
  // Exit code 0 even when the gateway is down: the reachable flag (or its absence with an error) tells.
  const gatewayReachable = c.gatewayReachable ?? (c.error === undefined && c.channels !== undefined);
  const issues = (c.statusIssues ?? []).map((i) => (typeof i === 'string' ? i : stringifySafe(i, '(an issue too deeply nested to show)')));
  if (!gatewayReachable && c.error) issues.unshift(c.error.split('\n')[0]!);
  return { gatewayReachable, healthy: gatewayReachable && issues.length === 0, channels: Object.keys(c.channels ?? {}), issues };
}

// ---------------------------------------------------------------------------------------------------
// openclaw doctor --json --non-interactive

const DoctorFinding = z
  .object({ checkId: z.string().optional(), severity: z.string(), message: z.string(), fixHint: z.string().optional(), errorCode: z.string().optional() })
  .loose();
const DoctorJson = z
  .object({
    ok: z.boolean(),
    findings: z.array(DoctorFinding).default([]),
  })
  .loose();

export interface DoctorReport {
  /** No finding of severity error, migration requests included (doctor's own `ok` is false for mere warnings). */
  passed: boolean;
  /** Error findings that do not ask for `openclaw doctor --fix` (what a fix is not expected to resolve). */
  errors: string[];
  /**
   * Findings (any severity) and notices that ask for `openclaw doctor --fix`: the migrations the
   * installed release requires, which the update's fix step applies (runDoctorFix).
   */
  migrations: string[];
  /** The subset of `migrations` with severity error (they fail `passed` until the fix ran). */
  blockingMigrations: string[];
  warnings: string[];
  /**
   * doctor said on stderr `state database schema migration pending` (2026.9.6 on a 2026.9.5 state, where
   * no finding says so: the JSON has no field for it; the gateway or `doctor --fix` migrates it).
   */
  migrationPending: boolean;
  /**
   * The installed release refuses the state (`SqliteSchemaVersionError`: a database schema newer than it
   * supports, e.g. 2026.8.2 on a state 2026.9.6 migrated). Neither doctor --fix nor a start helps: restore
   * the backup from before the migration, or install a release that supports the schema.
   */
  stateTooNew: boolean;
}

/**
 * How a finding asks for a migration. The JSON has no field for it: a check whose detection throws
 * ("health check threw: ... has a legacy agent database registry schema; run openclaw doctor --fix to
 * migrate it", test/fixtures/openclaw/doctor.jump-from-2026.8.2.json) carries only checkId, severity and
 * message, and doctor's `requirement`/`fixHint` fields never name a migration in 2026.9.6's findings. So
 * this is read from doctor's own words, in the message or the fixHint: "run openclaw doctor --fix".
 */
const ASKS_FOR_FIX = /\bopenclaw doctor --(fix|repair)\b/i;
/** The release refuses a newer schema (2026.8.2 on a 2026.9.6 state: doctor.state-too-new.json); by message, the finding has no code for it. */
const STATE_TOO_NEW = /SqliteSchemaVersionError|uses newer schema version \d+; this build supports \d+/;

/**
 * `openclaw doctor --json --non-interactive`, classified: errors, required migrations (findings that
 * ask for `openclaw doctor --fix`), warnings (info findings are dropped).
 *
 * Right after a new release is installed under a running gateway, `doctor --json` may print a
 * human "Doctor warnings" box (e.g. "uses schema version 21; stop active agents and run openclaw doctor
 * --fix") on stdout BEFORE its JSON line (test/fixtures/openclaw/doctor.migration-notice.txt). The JSON
 * is then the last line; the box's text is kept, as a migration when it asks for `doctor --fix`, else as
 * a warning.
 */
export function parseDoctor(out: Captured): DoctorReport {
  const lines = out.stdout.trimEnd().split('\n');
  const lastJson = lines.length > 1 && lines.at(-1)!.trimStart().startsWith('{') ? lines.length - 1 : -1;
  const notice = lastJson > 0 ? lines.slice(0, lastJson).join('\n') : '';
  const jsonOut = lastJson > 0 ? { ...out, stdout: lines[lastJson]! } : out;
  const d = parseJson('openclaw doctor --json', jsonOut, DoctorJson, 'a JSON object with ok and findings');
  const text = (f: z.infer<typeof DoctorFinding>) => `${f.checkId ?? 'doctor'}: ${f.message}`;
  const isError = (f: z.infer<typeof DoctorFinding>) => /^(error|critical|fatal)$/i.test(f.severity);
  const isWarning = (f: z.infer<typeof DoctorFinding>) => /^warn(ing)?$/i.test(f.severity);
  const asksForFix = (f: z.infer<typeof DoctorFinding>) => (isError(f) || isWarning(f)) && (ASKS_FOR_FIX.test(f.message) || ASKS_FOR_FIX.test(f.fixHint ?? ''));
  const noticeText = notice.replace(/[│◇├╮╯─┌└]/g, ' ').replace(/\s+/g, ' ').trim();
  const noticeIsMigration = noticeText !== '' && ASKS_FOR_FIX.test(noticeText);
  const migrations = [...(noticeIsMigration ? [quote(noticeText, 600)] : []), ...d.findings.filter(asksForFix).map(text)];
  const blockingMigrations = d.findings.filter((f) => asksForFix(f) && isError(f)).map(text);
  const errors = d.findings.filter((f) => isError(f) && !asksForFix(f)).map(text);
  return {
    passed: errors.length === 0 && blockingMigrations.length === 0,
    errors,
    migrations,
    blockingMigrations,
    warnings: [...(noticeText && !noticeIsMigration ? [quote(noticeText, 600)] : []), ...d.findings.filter((f) => isWarning(f) && !asksForFix(f)).map(text)],
    migrationPending: /state database schema migration pending/i.test(out.stderr),
    stateTooNew: d.findings.some((f) => isError(f) && STATE_TOO_NEW.test(f.message)),
  };
}

// ---------------------------------------------------------------------------------------------------
// openclaw doctor --fix --non-interactive (human output only: doctor refuses --json with --fix)

export interface DoctorFixOutput {
  /** What doctor says it changed: the items of its "Doctor changes" notes and its "Updated config" lines. */
  changes: string[];
  /** Why it stopped or what went wrong, in its words (stderr, and stdout lines outside its notes). */
  problems: string[];
  /** It printed "Doctor complete." */
  complete: boolean;
  /** Its "[warning] <checkId> ..." lines. */
  warnings: string[];
}

/**
 * `openclaw doctor --fix --non-interactive` prints clack notes (`◇  <title> ───╮`, `│  <text>  │`,
 * `├───╯`) and plain lines (test/fixtures/openclaw/doctor-fix.*.txt). Exit 0 with "Doctor complete."
 * when it ran; exit 1 with one plain sentence when it refused (another process owns the state:
 * doctor-fix.gateway-running.stderr.txt; schemas newer than the build: doctor-fix.state-too-new.txt).
 * The exit code decides whether it ran; this only collects its words.
 */
export function parseDoctorFix(out: Captured): DoctorFixOutput {
  const changes: string[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  let box: { title: string; items: string[] } | undefined;
  const closeBox = () => {
    if (box && /^Doctor changes$/i.test(box.title)) changes.push(...box.items);
    box = undefined;
  };
  for (const raw of out.stdout.split('\n')) {
    const line = raw.trimEnd();
    const open = /^◇\s+(.+?)\s+─+╮$/.exec(line);
    if (open) {
      closeBox();
      box = { title: open[1]!, items: [] };
      continue;
    }
    if (box) {
      if (/^├─+╯$/.test(line)) {
        closeBox();
        continue;
      }
      const inner = /^│\s?(.*?)\s*│$/.exec(line)?.[1];
      if (inner === undefined) continue;
      const t = inner.trim();
      if (t === '') continue;
      // An item starts with "- "; a wrapped line continues the item (or paragraph) before it.
      if (t.startsWith('- ') || box.items.length === 0) box.items.push(t.replace(/^- /, ''));
      else box.items[box.items.length - 1] += ` ${t}`;
      continue;
    }
    const t = line.replace(/^[│┌└]\s*/, '').trim();
    if (t === '' || /^OpenClaw doctor$/.test(t) || /^Doctor complete\.$/.test(t)) continue;
    if (/^Updated config: /.test(t)) changes.push(t);
    else if (/^Backup: /.test(t) && changes.at(-1)?.startsWith('Updated config: ')) changes[changes.length - 1] += ` (${t.toLowerCase()})`;
    else if (/^\[warning\] /.test(t)) warnings.push(t.replace(/^\[warning\] /, ''));
    else if (/^fix: /.test(t)) continue; // the fixHint under a [warning] line
    else problems.push(t);
  }
  closeBox();
  for (const l of out.stderr.split('\n')) if (l.trim() && !/^\[state\/db\] /.test(l.trim())) problems.push(l.trim());
  return { changes, problems: problems.map((p) => quote(p, 800)), complete: /Doctor complete\./.test(out.stdout), warnings };
}

// ---------------------------------------------------------------------------------------------------
// openclaw update --yes --json (source checkouts)

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
    throw new TransientError(`openclaw update ended with status "${quote(u.status, 100)}"${u.reason ? ` (${quote(u.reason, 500)})` : ''}; expected succeeded or skipped.`);
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------------
// openclaw gateway restart --json

const RestartJson = z.object({ ok: z.boolean(), result: z.string().optional(), message: z.string().optional() }).loose();

export function parseRestart(out: Captured): { ok: boolean; result?: string; message?: string } {
  return parseJson('openclaw gateway restart --json', out, RestartJson, 'a JSON object with ok and result');
}

// ---------------------------------------------------------------------------------------------------
// openclaw logs --json --limit N

const LogRecord = z.object({ type: z.string(), time: z.string().optional(), level: z.string().optional(), message: z.string().optional(), subsystem: z.string().optional() }).loose();
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
    const message = failure === null ? line : typeof failure.message === 'string' ? failure.message : stringifySafe(failure.message, line);
    throw new TransientError(`openclaw logs failed: ${quote(message, 500)}`);
  }
  if (lines.length === 0) throw new UnexpectedOutputError('openclaw logs --json', 'NDJSON log records (at least a meta line)', quote(out.stderr || '(nothing)'));
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
    if (!r.success) throw new UnexpectedOutputError('openclaw logs --json', 'records with a type field', quote(line, 500));
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

/**
 * One refused connect as the gateway logs it (`gateway/ws` WARN `unauthorized conn=... reason=...`).
 * The line names the client software, role, scope count, platform and peer, but NOT the device id:
 * attributing it to a device is a correlation (src/shared/refusal-attribution.ts), never an identification.
 */
export interface RefusalLine {
  time: string;
  atMs: number;
  /** `device_token_mismatch` (wrong/old token for that role) or `scope_mismatch` (asks more scopes than its token). */
  reason: 'device_token_mismatch' | 'scope_mismatch';
  conn: string | null;
  /** Client address as the gateway saw it (behind a proxy: the proxy's address). */
  remote: string | null;
  clientId: string | null;
  clientMode: string | null;
  clientVersion: string | null;
  role: string | null;
  scopeCount: number | null;
  auth: string | null;
  platform: string | null;
  /** The client's own instance id (`instance=`), when it sends one. */
  clientInstance: string | null;
}

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

// ---------------------------------------------------------------------------------------------------
// openclaw gateway status --json: the gateway's http address (also when it is down)

/** The base http URL of the gateway from `gateway status --json` (`gateway.probeUrl` or bind host + port), or undefined. */
export function parseGatewayProbeUrl(out: Captured): string | undefined {
  const s = parseJson(
    'openclaw gateway status --json',
    out,
    z.object({ gateway: z.object({ probeUrl: z.string().optional(), bindHost: z.string().optional(), port: z.number().optional() }).loose() }).loose(),
    'a JSON object with gateway.probeUrl or gateway.port',
  );
  if (s.gateway.probeUrl && /^wss?:\/\//.test(s.gateway.probeUrl)) {
    const u = new URL(s.gateway.probeUrl);
    return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  }
  if (s.gateway.port) return `http://${s.gateway.bindHost && s.gateway.bindHost !== '0.0.0.0' ? s.gateway.bindHost : '127.0.0.1'}:${s.gateway.port}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// openclaw backup create [--dry-run] --output <file> --verify --json

const BackupAssetJson = z.object({ kind: z.string(), sourcePath: z.string(), archivePath: z.string() }).loose();

const BackupCreateJson = z
  .object({
    createdAt: z.string(),
    archiveRoot: z.string().min(1),
    archivePath: z.string().min(1),
    dryRun: z.boolean(),
    verified: z.boolean().default(false),
    assets: z.array(BackupAssetJson),
    skipped: z.array(z.object({ kind: z.string(), sourcePath: z.string(), reason: z.string() }).loose()).default([]),
    warnings: z.array(z.unknown()).default([]),
  })
  .loose();

export interface BackupCreateResult {
  archivePath: string;
  archiveRoot: string;
  createdAt: string;
  dryRun: boolean;
  /** `--verify` ran and passed (false for a dry run or without --verify). */
  verified: boolean;
  assets: { kind: string; sourcePath: string; archivePath: string }[];
  /** The state dir it backs up (the `state` asset), when it has one. */
  stateDir?: string;
  /** The config file it backs up (the `config` asset), when it is its own asset (outside the state dir). */
  configPath?: string;
  skipped: { kind: string; sourcePath: string; reason: string }[];
}

/**
 * `backup create --json`. Refusals (output inside a source path, an archive that exists) are the CLI's
 * error envelope on stdout with exit 1: ConfigurationError (the path must change). An empty stdout (an
 * older release once wrote nothing and exited 0) is UnexpectedOutputError.
 */
export function parseBackupCreate(out: Captured, opts: { dryRun?: boolean } = {}): BackupCreateResult {
  throwIfErrorEnvelope('openclaw backup create', out, /inside a source path|Refusing to overwrite/i);
  const j = parseJson('openclaw backup create --json', out, BackupCreateJson, 'a JSON object with archivePath, archiveRoot and assets');
  if (j.dryRun !== !!opts.dryRun) {
    throw new UnexpectedOutputError('openclaw backup create --json', `dryRun: ${!!opts.dryRun}`, quote(out.stdout, 500));
  }
  const asset = (kind: string) => j.assets.find((a) => a.kind === kind)?.sourcePath;
  const stateDir = asset('state');
  const configPath = asset('config');
  return {
    archivePath: j.archivePath,
    archiveRoot: j.archiveRoot,
    createdAt: j.createdAt,
    dryRun: j.dryRun,
    verified: j.verified,
    assets: j.assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: a.archivePath })),
    ...(stateDir ? { stateDir } : {}),
    ...(configPath ? { configPath } : {}),
    skipped: j.skipped.map((s) => ({ kind: s.kind, sourcePath: s.sourcePath, reason: s.reason })),
  };
}

// ---------------------------------------------------------------------------------------------------
// The manifest.json of an extracted archive (<target>/<archiveRoot>/manifest.json)

const BackupManifestJson = z
  .object({
    schemaVersion: z.literal(1),
    archiveRoot: z.string().min(1),
    runtimeVersion: z.string().optional(),
    createdAt: z.string().optional(),
    paths: z.object({ stateDir: z.string().optional(), configPath: z.string().optional() }).loose().default({}),
    assets: z.array(BackupAssetJson),
  })
  .loose();

export interface BackupManifest {
  archiveRoot: string;
  runtimeVersion: string | null;
  stateDir: string | null;
  configPath: string | null;
  assets: { kind: string; sourcePath: string; archivePath: string }[];
}

/** The archive's schema-version-1 manifest (the docs: the source of truth for where each asset goes back). */
export function parseBackupManifest(text: string): BackupManifest {
  const m = parseJson('backup manifest.json', { stdout: text, stderr: '', exitCode: 0 }, BackupManifestJson, 'a schema-version-1 backup manifest with archiveRoot and assets');
  for (const a of m.assets) {
    if (!a.archivePath.startsWith(`${m.archiveRoot}/`) || a.archivePath.split('/').includes('..') || !a.sourcePath.startsWith('/')) {
      // The archive root is output too: quoted (and so redacted) like the rest, never spliced in raw.
      throw new UnexpectedOutputError('backup manifest.json', `assets inside the archive root ${quote(m.archiveRoot, 200)}/ with absolute source paths`, quote(JSON.stringify(a), 500));
    }
  }
  return {
    archiveRoot: m.archiveRoot,
    runtimeVersion: m.runtimeVersion ?? null,
    stateDir: m.paths.stateDir ?? null,
    configPath: m.paths.configPath ?? null,
    assets: m.assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: a.archivePath })),
  };
}

// ---------------------------------------------------------------------------------------------------
// openclaw backup restore <archive> --target <dir> --json

const BackupRestoreJson = z
  .object({
    ok: z.literal(true),
    archivePath: z.string(),
    archiveRoot: z.string().min(1),
    targetPath: z.string().min(1),
    runtimeVersion: z.string().optional(),
    assetCount: z.number().int().nonnegative(),
    warnings: z.array(z.string()).default([]),
  })
  .loose();

export interface BackupRestoreResult {
  archivePath: string;
  archiveRoot: string;
  /** The fresh directory it extracted into; the assets are under `<targetPath>/<archiveRoot>/payload/...`. */
  targetPath: string;
  /** The release that made the archive. */
  runtimeVersion: string | null;
  assetCount: number;
  warnings: string[];
}

/**
 * `backup restore --json`. A missing or unverifiable archive and a non-empty target are the CLI's error
 * envelope (exit 1): ConfigurationError, since retrying the same call cannot help.
 */
export function parseBackupRestore(out: Captured): BackupRestoreResult {
  throwIfErrorEnvelope('openclaw backup restore', out, /verification failed|does not exist|must be empty|inside the live|not a directory/i);
  const j = parseJson('openclaw backup restore --json', out, BackupRestoreJson, 'a JSON object with ok: true, archiveRoot and targetPath');
  return { archivePath: j.archivePath, archiveRoot: j.archiveRoot, targetPath: j.targetPath, runtimeVersion: j.runtimeVersion ?? null, assetCount: j.assetCount, warnings: j.warnings };
}

// ---------------------------------------------------------------------------------------------------
// openclaw database preflight <copy> --json / preflight-agent <copy> --agent-id <id> --json

export const PREFLIGHT_STATUSES = ['exact', 'startup-repairable', 'migration-required', 'incompatible', 'indeterminate'] as const;
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
  const j = parseJson('openclaw database preflight --json', out, DatabasePreflightJson, 'a state- or agent-schema-preflight.v1 JSON object with status');
  const versions = `schema ${j.foundVersion ?? '?'} in the file, ${j.targetVersion ?? '?'} supported by this release`;
  const issues = j.issues.length ? `issues: ${quote(stringifySafe(j.issues, '(unprintable)'), 500)}` : '';
  const detail = j.status === 'exact' ? undefined : [j.reason ? quote(j.reason, 500) : '', issues, versions].filter(Boolean).join('; ');
  return {
    kind: j.schema === 'openclaw.agent-schema-preflight.v1' ? 'agent' : 'state',
    databasePath: j.databasePath,
    status: j.status,
    targetVersion: j.targetVersion ?? null,
    foundVersion: j.foundVersion ?? null,
    ...(detail ? { detail } : {}),
  };
}

/** `openclaw --version`: `OpenClaw 2026.9.6 (eb377ac)` → the version. */
export function parseCliVersion(out: Captured): string {
  const m = /^OpenClaw (\d[0-9A-Za-z.+-]*)(?:\s|$)/m.exec(out.stdout.trim());
  if (!m) throw new UnexpectedOutputError('openclaw --version', 'a line `OpenClaw <version> (<commit>)`', quote(out.stdout.trim() || out.stderr.trim() || '(nothing)', 500));
  return m[1]!;
}

/** What `npm view openclaw@<v> version engines --json` answered: the version and its engines.node, or not found. */
export type NpmView = { found: true; version: string; enginesNode: string | null } | { found: false };

const NpmViewEntry = z.object({ version: z.string(), engines: z.object({ node: z.string().optional() }).passthrough().optional() }).passthrough();

/**
 * Parses `npm view <pkg>@<v> version engines --json` after exit 0: one object, an array of them (a range
 * matching several versions: the newest, last), or nothing at all (older npm: no such version).
 * A failed view (exit != 0) is not parsed here: its npm error code speaks (npm-errors.ts).
 */
export function parseNpmView(out: Captured): NpmView {
  const text = out.stdout.trim();
  if (!text) return { found: false };
  const data = parseJson('npm view --json', out, z.union([NpmViewEntry, z.array(NpmViewEntry), z.string()]), 'the version and engines as JSON');
  const entry = Array.isArray(data) ? data.at(-1) : typeof data === 'string' ? { version: data } : data;
  if (!entry) return { found: false };
  return { found: true, version: entry.version, enginesNode: 'engines' in entry ? (entry.engines?.node ?? null) : null };
}
