/**
 * Test helper: a throwaway Temporal server of our own (free loopback ports, temp dir), for tests that need
 * one configured differently from the bed's: the CLI dev server, or the real server binary with TLS.
 * Waits until the namespace answers, and stops the process (and its temp dir) afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../bed/ports.js';
import { mtlsGlobal, singleCluster } from '../bed/production-temporal-config.js';
import { temporalBin, temporalServerBin } from '../bed/tools.js';

const run = promisify(execFile);

export interface TestServer {
  address: string;
  dir: string;
  /** The server's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`${what}: the server exited (${proc.exitCode}):\n${log().slice(-3000)}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s:\n${log().slice(-3000)}`);
}

function startProcess(command: string, args: string[], dir: string): { proc: ChildProcess; log: () => string } {
  const proc = spawn(command, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: dir },
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-200_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  return { proc, log: () => output };
}

function stopper(proc: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
}

/** `temporal` CLI arguments that reach `address` (plus TLS flags when given). */
export function cliConnection(
  address: string,
  tls?: { ca: string; cert?: string; key?: string; serverName?: string },
): string[] {
  return [
    '--address',
    address,
    ...(tls
      ? [
          '--tls-ca-path',
          tls.ca,
          ...(tls.cert ? ['--tls-cert-path', tls.cert, '--tls-key-path', tls.key!] : []),
          ...(tls.serverName ? ['--tls-server-name', tls.serverName] : []),
        ]
      : []),
  ];
}

/** Runs the Temporal CLI; resolves with stdout. */
export async function temporalCli(args: string[]): Promise<string> {
  const { stdout } = await run(temporalBin(), args, {
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: tmpdir() },
  });
  return stdout;
}

const namespaceAnswers = (conn: string[]) => () =>
  temporalCli(['operator', 'namespace', 'describe', '--namespace', 'default', ...conn, '--command-timeout', '3s']).then(
    () => true,
    () => false,
  );

/** `temporal server start-dev` (in memory, headless unless a UI port is asked for). */
export async function startDevServer(opts: { uiPort?: number; uiCodecEndpoint?: string } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'temporal-dev-'));
  const port = await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(await freePort()),
    '--metrics-port',
    String(await freePort()),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    '--log-level',
    'warn',
  ];
  const { proc, log } = startProcess(temporalBin(), args, dir);
  const address = `127.0.0.1:${port}`;
  const stop = stopper(proc, dir);
  try {
    await waitUntil('Temporal dev server', namespaceAnswers(cliConnection(address)), 120_000, proc, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, dir, log, stop };
}

/** Files of a throwaway PKI made with openssl: a CA, a server cert for localhost/127.0.0.1, a client cert. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting only it must fail. */
  otherCa: string;
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const makeCa = async (name: string) => {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  };
  const makeLeaf = async (name: string, ext: string) => {
    await writeFile(f(`${name}.ext`), ext);
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('test-ca.pem'),
      '-CAkey',
      f('test-ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    );
  };
  await makeCa('test-ca');
  await makeCa('other-ca');
  await makeLeaf(
    'server',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  await makeLeaf('client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  return {
    ca: f('test-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherCa: f('other-ca.pem'),
  };
}

/**
 * The real Temporal server (go.temporal.io/server, built by scripts/setup.sh) with TLS on its frontend and
 * client certificates required (mTLS), in-memory SQLite. `temporal server start-dev` has no TLS options,
 * so this is the way to serve TLS here. Creates the `default` namespace over TLS.
 */
export async function startTlsServer(pki: TestPki): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'temporal-tls-'));
  const ports = {
    frontend: await freePort(),
    http: await freePort(),
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
  };
  const membership = {
    frontend: await freePort(),
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
  };
  const sqlite = (db: string) => `
      sql:
        pluginName: sqlite
        databaseName: ${db}
        connectAddr: localhost
        connectProtocol: tcp
        connectAttributes: { mode: memory, cache: private }
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: 1h`;
  const service = (name: 'frontend' | 'history' | 'matching' | 'worker') => `
  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${membership[name]}
      bindOnIP: 127.0.0.1${name === 'frontend' ? `\n      httpPort: ${ports.http}` : ''}`;
  const config = `
log: { stdout: true, level: warn }
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 1
  datastores:
    default:${sqlite('default')}
    visibility:${sqlite('visibility')}
${mtlsGlobal(pki)}
services:${service('frontend')}${service('history')}${service('matching')}${service('worker')}
${singleCluster(ports)}
`;
  await writeFile(join(dir, 'config.yaml'), config);
  const { proc, log } = startProcess(
    temporalServerBin(),
    ['--config-file', join(dir, 'config.yaml'), '--allow-no-auth', 'start'],
    dir,
  );
  const address = `127.0.0.1:${ports.frontend}`;
  const stop = stopper(proc, dir);
  const conn = cliConnection(address, {
    ca: pki.ca,
    cert: pki.clientCert,
    key: pki.clientKey,
    serverName: 'localhost',
  });
  try {
    await waitUntil(
      'Temporal server (TLS) namespace creation',
      () =>
        temporalCli([
          'operator',
          'namespace',
          'create',
          '--namespace',
          'default',
          '--retention',
          '24h',
          ...conn,
          '--command-timeout',
          '5s',
        ]).then(
          () => true,
          (err: Error) => /already exists|AlreadyExists/i.test(err.message),
        ),
      120_000,
      proc,
      log,
    );
    // The frontend sees a new namespace after its registry refresh (about 10 s): wait for a list to work.
    await waitUntil(
      'Temporal server (TLS) namespace registry',
      () =>
        temporalCli([
          'workflow',
          'list',
          '--namespace',
          'default',
          '--limit',
          '1',
          ...conn,
          '--command-timeout',
          '3s',
        ]).then(
          () => true,
          () => false,
        ),
      60_000,
      proc,
      log,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, dir, log, stop };
}
