/**
 * The test client from the command line: print a device identity, make one connect, or hold a
 * connection, one JSON line per outcome/event (tokens only as fingerprints).
 *   node --import tsx test/bed/ws-client/cli.ts <connect|hold|identity> --url ws://... --identity FILE
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ConnectOutcome } from './connect-outcome.js';
import { connectOnce } from './connect-once.js';
import type { ConnectAuth } from './connect-request.js';
import { DeviceIdentity } from './device-identity.js';
import { HeldConnection } from './held-connection.js';

const CLI_USAGE = `usage: node --import tsx test/bed/ws-client/cli.ts <connect|hold|identity> [options]
  --url ws://127.0.0.1:PORT       gateway URL (required for connect/hold)
  --identity FILE                 identity JSON (created, mode 0600, if missing)
  --role ROLE                     default operator
  --scope SCOPE                   repeatable; default operator.read
  --auth stored|shared|none       connect: which credential to present (default: stored if any, else shared)
  --token-env NAME                env var holding the gateway's shared token (default OPENCLAW_GATEWAY_TOKEN)
  --client-id ID --client-mode M  default cli / cli
  --timeout-ms N                  per-attempt handshake timeout (default 15000)
  --no-shared-fallback            hold: never use the shared token (locked out after a mismatch)
  --pause-on-mismatch             hold: stop reconnecting after a device-token mismatch
Prints one JSON line per outcome/event on stdout; tokens are never printed (only *Fp fingerprints).`;

function redactOutcome(o: ConnectOutcome): Record<string, unknown> {
  if (o.kind === 'hello') {
    const { socket: _socket, hello: _hello, deviceToken: _deviceToken, ...rest } = o;
    return rest;
  }
  return { ...o };
}

const CLI_OPTIONS = {
  url: { type: 'string' },
  identity: { type: 'string' },
  role: { type: 'string', default: 'operator' },
  scope: { type: 'string', multiple: true },
  auth: { type: 'string' },
  'token-env': { type: 'string', default: 'OPENCLAW_GATEWAY_TOKEN' },
  'client-id': { type: 'string', default: 'cli' },
  'client-mode': { type: 'string', default: 'cli' },
  'timeout-ms': { type: 'string', default: '15000' },
  'no-shared-fallback': { type: 'boolean', default: false },
  'pause-on-mismatch': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

type CliValues = ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS; allowPositionals: true }>>['values'];

const print = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function cliMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: CLI_OPTIONS });
  const mode = positionals[0] ?? 'hold';
  if (values.help || !['connect', 'hold', 'identity'].includes(mode) || !values.identity) {
    process.stderr.write(`${CLI_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const identity = await DeviceIdentity.loadOrCreate(values.identity);
  if (mode === 'identity') {
    print({ deviceId: identity.deviceId, publicKey: identity.publicKey, file: identity.filePath });
    return 0;
  }
  if (!values.url) {
    process.stderr.write(`${CLI_USAGE}\n`);
    return 2;
  }
  return mode === 'connect' ? connectCommand(values, values.url, identity) : holdCommand(values, values.url, identity);
}

/** The options connect and hold share. */
function commonOptions(values: CliValues, url: string, identity: DeviceIdentity) {
  return {
    url,
    identity,
    role: values.role,
    scopes: values.scope && values.scope.length > 0 ? values.scope : ['operator.read'],
    clientId: values['client-id'],
    clientMode: values['client-mode'],
  };
}

const sharedTokenOf = (values: CliValues): string | undefined => process.env[values['token-env']]?.trim() || undefined;

/** `connect`: one attempt with the chosen credential; exit 0 on hello. */
async function connectCommand(values: CliValues, url: string, identity: DeviceIdentity): Promise<number> {
  const sharedToken = sharedTokenOf(values);
  const stored = identity.getDeviceToken(url, values.role);
  const which = values.auth ?? (stored ? 'stored' : 'shared');
  let auth: ConnectAuth;
  if (which === 'stored') auth = 'stored';
  else if (which === 'shared') {
    if (!sharedToken) throw new Error(`--auth shared needs $${values['token-env']}`);
    auth = { token: sharedToken };
  } else auth = 'none';
  const outcome = await connectOnce({
    ...commonOptions(values, url, identity),
    auth,
    timeoutMs: Number(values['timeout-ms']),
  });
  print({ deviceId: identity.deviceId, ...redactOutcome(outcome) });
  if (outcome.kind === 'hello') await outcome.socket.close();
  return outcome.kind === 'hello' ? 0 : 1;
}

/** `hold`: a HeldConnection printing its events until a signal or a 'paused' event. */
async function holdCommand(values: CliValues, url: string, identity: DeviceIdentity): Promise<number> {
  const sharedToken = sharedTokenOf(values);
  const held = new HeldConnection({
    ...commonOptions(values, url, identity),
    ...(sharedToken && !values['no-shared-fallback'] ? { sharedToken } : {}),
    connectTimeoutMs: Number(values['timeout-ms']),
    onDeviceTokenMismatch: values['pause-on-mismatch'] ? 'pause' : 'retry',
    reconnect: true,
    onEvent: (e) => print({ deviceId: identity.deviceId, ...e }),
  });
  const stop = (): void => void held.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  void held.start().catch(() => undefined);
  // hold forever (until a signal, or a 'paused' event)
  await held.done;
  return 0;
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  cliMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
