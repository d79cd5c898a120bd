// The load-balancer layer against a real HAProxy 2.6 (started by this file) in front of three echo
// servers that greet each connection with their name, plus the command and none adapters with real
// commands.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  currentSessions,
  serverState,
  setServerState,
  showStat,
  waitForSessionsToDrain,
} from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer, type LoadBalancer } from '../../src/activities/load-balancer/index.js';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../src/shared/errors.js';
import {
  connectThrough,
  freePort,
  rawRuntimeCommand,
  startEchoServer,
  startHaproxy,
  type EchoServer,
  type FrontendClient,
  type HaproxyProcess,
} from '../helpers/haproxy-process.js';

const NAMES = ['gw1', 'gw2', 'gw3'];
let echos: EchoServer[] = [];
let hx: HaproxyProcess;
let lb: LoadBalancer;
const clients: FrontendClient[] = [];

/** Opens a client through the frontend and closes it after the test. */
async function connect(): Promise<FrontendClient> {
  const client = await connectThrough(hx.frontendPort);
  clients.push(client);
  return client;
}

/** Polls until `server`'s `show stat` status is `status`. */
async function waitForStatus(server: string, status: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await serverState(hx.adminSocket, 'gateways', server)).status;
    if (seen === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${server} stayed "${seen}", expected "${status}"`);
}

/** Rejection of `promise`, or a failure if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected the call to fail'),
    (error: unknown) => error as Error,
  );
}

beforeAll(async () => {
  echos = await Promise.all(NAMES.map(startEchoServer));
  hx = await startHaproxy({ servers: echos.map((e) => ({ name: e.name, port: e.port })) });
  lb = createLoadBalancer({ type: 'haproxy', socket: hx.adminSocket, backend: 'gateways' });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const name of NAMES) await rawRuntimeCommand(hx.adminSocket, `set server gateways/${name} state ready`);
  for (const name of NAMES) await waitForStatus(name, 'UP');
});

afterAll(async () => {
  await hx?.stop();
  await Promise.all(echos.map((e) => e.stop()));
});

describe('HAProxy runtime API client (live)', () => {
  it('drain stops new connections to the server while an open connection keeps working', async () => {
    const first = await connect();
    const drained = first.server;
    expect(NAMES).toContain(drained);
    // balance source: without a drain, the next connection from 127.0.0.1 lands on the same server.
    const second = await connect();
    expect(second.server).toBe(drained);
    await second.close();

    await lb.drain(drained);
    for (let i = 0; i < 3; i++) expect((await connect()).server).not.toBe(drained);
    expect(await first.echo('still here')).toBe('still here');
    expect(await lb.state(drained)).toEqual({ admin: 'drain', status: 'DRAIN', sessions: 1 });
  });

  it('counts the open session and waits for it to drain', async () => {
    const client = await connect();
    const server = client.server;
    await lb.drain(server);
    expect(await lb.sessions(server)).toBe(1);
    expect(await currentSessions(hx.adminSocket, 'gateways', server)).toBe(1);

    // While the connection stays open the wait ends at its deadline with drained: false.
    const stuck = await waitForSessionsToDrain(hx.adminSocket, 'gateways', server, { deadlineMs: 300, pollMs: 50 });
    expect(stuck.drained).toBe(false);
    expect(stuck.sessions).toBe(1);
    expect(stuck.waitedMs).toBeGreaterThanOrEqual(300);

    const progress: number[] = [];
    setTimeout(() => void client.close(), 400);
    const result = await waitForSessionsToDrain(hx.adminSocket, 'gateways', server, {
      deadlineMs: 5_000,
      pollMs: 50,
      onProgress: (s) => progress.push(s),
    });
    expect(result.drained).toBe(true);
    expect(result.sessions).toBe(0);
    expect(result.waitedMs).toBeGreaterThanOrEqual(300);
    expect(result.waitedMs).toBeLessThan(5_000);
    expect(progress[0]).toBe(1);
    expect(progress.at(-1)).toBe(0);
  });

  it('waitForSessionsToDrain rejects with the abort reason when cancelled', async () => {
    const client = await connect();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 200);
    const error = await rejectionOf(
      waitForSessionsToDrain(hx.adminSocket, 'gateways', client.server, {
        deadlineMs: 10_000,
        pollMs: 50,
        signal: controller.signal,
      }),
    );
    expect(error.message).toBe('activity cancelled');
  });

  it('ready brings a drained server back into rotation', async () => {
    const server = (await connect()).server;
    await lb.drain(server);
    expect((await connect()).server).not.toBe(server);
    await lb.ready(server);
    expect((await connect()).server).toBe(server);
    expect(await lb.state(server)).toMatchObject({ admin: 'ready', status: 'UP' });
  });

  it('draining twice and readying twice are fine', async () => {
    await setServerState(hx.adminSocket, 'gateways', 'gw2', 'drain');
    await setServerState(hx.adminSocket, 'gateways', 'gw2', 'drain');
    expect((await serverState(hx.adminSocket, 'gateways', 'gw2')).admin).toBe('drain');
    await setServerState(hx.adminSocket, 'gateways', 'gw2', 'ready');
    await setServerState(hx.adminSocket, 'gateways', 'gw2', 'ready');
    expect((await serverState(hx.adminSocket, 'gateways', 'gw2')).admin).toBe('ready');
  });

  it('maint takes a server out entirely and state says so', async () => {
    await setServerState(hx.adminSocket, 'gateways', 'gw3', 'maint');
    expect(await serverState(hx.adminSocket, 'gateways', 'gw3')).toMatchObject({ admin: 'maint', status: 'MAINT' });
  });

  it('state still says drain when the drained server goes DOWN (show stat alone says DOWN)', async () => {
    const echo = echos[0]!;
    await lb.drain(echo.name);
    await echo.stop();
    try {
      await waitForStatus(echo.name, 'DOWN');
      expect(await lb.state(echo.name)).toEqual({ admin: 'drain', status: 'DOWN', sessions: 0 });
    } finally {
      await echo.start();
    }
  });

  it('an unknown server or backend is a ConfigurationError that lists what exists', async () => {
    const unknownServer = await rejectionOf(serverState(hx.adminSocket, 'gateways', 'gw9'));
    expect(unknownServer).toBeInstanceOf(ConfigurationError);
    expect(unknownServer.message).toContain('has no server "gw9"');
    expect(unknownServer.message).toContain('gw1, gw2, gw3');

    const otherBackend = createLoadBalancer({ type: 'haproxy', socket: hx.adminSocket, backend: 'nope' });
    const unknownBackend = await rejectionOf(otherBackend.sessions('gw1'));
    expect(unknownBackend).toBeInstanceOf(ConfigurationError);
    expect(unknownBackend.message).toContain('no backend "nope"');
    expect(unknownBackend.message).toContain('gateways');

    const setUnknown = await rejectionOf(setServerState(hx.adminSocket, 'gateways', 'gw9', 'drain'));
    expect(setUnknown).toBeInstanceOf(ConfigurationError);
    expect(setUnknown.message).toContain('No such server.');
  });

  it('refuses names that could smuggle a second command, and sends nothing', async () => {
    const error = await rejectionOf(
      setServerState(hx.adminSocket, 'gateways', 'gw1 state ready; set server gateways/gw2', 'maint'),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((await serverState(hx.adminSocket, 'gateways', 'gw2')).admin).toBe('ready');
  });

  it('a socket below level admin gives a ConfigurationError about the socket level', async () => {
    expect((await showStat(hx.userSocket)).length).toBe(3);
    const error = await rejectionOf(setServerState(hx.userSocket, 'gateways', 'gw1', 'drain'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('Permission denied');
    expect(error.message).toContain('level admin');
  });

  it('works over a TCP admin address and unix: prefix too', async () => {
    const rows = await showStat(hx.adminTcp);
    expect(rows.map((r) => r.server)).toEqual(NAMES);
    await createLoadBalancer({ type: 'haproxy', socket: hx.adminTcp, backend: 'gateways' }).drain('gw3');
    expect((await serverState(`unix:${hx.adminSocket}`, 'gateways', 'gw3')).admin).toBe('drain');
  });
});

describe('HAProxy runtime API client (failures)', () => {
  it('a missing socket file is a TransientError saying what to run by hand', async () => {
    const missing = path.join(hx.dir, 'missing.sock');
    const error = await rejectionOf(showStat(missing));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('does not exist');
    expect(error.message).toContain(`echo "show stat" | socat stdio unix-connect:${missing}`);
  });

  it('a refused TCP connection is a TransientError', async () => {
    const port = await freePort();
    const error = await rejectionOf(lbFor(`127.0.0.1:${port}`).drain('gw1'));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain(`socat stdio tcp-connect:127.0.0.1:${port}`);
  });

  it('a listener that never answers times out as a TransientError; an abort rejects with its reason', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const started = Date.now();
      const error = await rejectionOf(showStat(address, { timeoutMs: 200 }));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain('did not answer `show stat` within 200 ms');
      expect(Date.now() - started).toBeLessThan(2_000);

      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop now')), 100);
      const aborted = await rejectionOf(showStat(address, { timeoutMs: 5_000, signal: controller.signal }));
      expect(aborted.message).toBe('stop now');
    } finally {
      silent.close();
    }
  });

  it('a listener that hangs up without a byte is a TransientError, not a silent success', async () => {
    const rude = net.createServer((socket) => socket.once('data', () => socket.end()));
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(rude.address() as net.AddressInfo).port}`;
      const error = await rejectionOf(setServerState(address, 'gateways', 'gw1', 'drain'));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain('closed the connection without answering');
    } finally {
      rude.close();
    }
  });

  it('a malformed address is a ConfigurationError', async () => {
    await expect(showStat('localhost')).rejects.toThrow(ConfigurationError);
  });
});

describe('command load balancer (real commands)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ocr-lb-cmd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const record = (file: string, verb: string): string[] => [
    'sh',
    '-c',
    'echo "$1 $2" >> "$3"',
    'sh',
    verb,
    '{server}',
    file,
  ];

  it('runs drain and ready with {server} filled in', async () => {
    const file = path.join(dir, 'calls.txt');
    const cmd = createLoadBalancer({
      type: 'command',
      drain: record(file, 'drain'),
      ready: record(file, 'ready'),
      sessions: ['echo', '0'],
    });
    await cmd.drain('gw2');
    await cmd.ready('gw2');
    expect(await readFile(file, 'utf8')).toBe('drain gw2\nready gw2\n');
  });

  it('reads the session count the sessions command prints', async () => {
    const cmd = createLoadBalancer({
      type: 'command',
      drain: ['true'],
      ready: ['true'],
      sessions: ['sh', '-c', 'if [ "$1" = gw-{server} ]; then echo 42; else echo 0; fi', 'sh', 'gw-{server}'],
    });
    expect(await cmd.sessions('a')).toBe(42);
    expect(await cmd.state('a')).toEqual({ admin: 'unknown', status: 'unknown', sessions: 42 });
  });

  it('a sessions command that prints no integer is an UnexpectedOutputError quoting it', async () => {
    const cmd = createLoadBalancer({
      type: 'command',
      drain: ['true'],
      ready: ['true'],
      sessions: ['echo', 'lots of sessions'],
    });
    const error = await rejectionOf(cmd.sessions('gw1'));
    expect(error).toBeInstanceOf(UnexpectedOutputError);
    expect((error as UnexpectedOutputError).seen).toContain('lots of sessions');
    expect((error as UnexpectedOutputError).command).toBe("echo 'lots of sessions'");
  });

  it('a failing command is a TransientError with its exit code, stderr and the command line', async () => {
    const cmd = createLoadBalancer({
      type: 'command',
      drain: ['sh', '-c', 'echo boom for $0 >&2; exit 7', '{server}'],
      ready: ['true'],
      sessions: ['echo', '0'],
    });
    const error = await rejectionOf(cmd.drain('gw1'));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('exit code 7');
    expect(error.message).toContain('boom for gw1');
    expect(error.message).toContain("sh -c 'echo boom for $0 >&2; exit 7' gw1");
  });

  it('a command that is not installed is a ConfigurationError', async () => {
    const cmd = createLoadBalancer({
      type: 'command',
      drain: ['/nonexistent/lb-drain', '{server}'],
      ready: ['true'],
      sessions: ['echo', '0'],
    });
    await expect(cmd.drain('gw1')).rejects.toThrow(ConfigurationError);
  });

  it('a command past its timeout is killed and reported as a TransientError', async () => {
    const cmd = createLoadBalancer(
      { type: 'command', drain: ['sleep', '10'], ready: ['true'], sessions: ['echo', '0'] },
      { timeoutMs: 200 },
    );
    const started = Date.now();
    const error = await rejectionOf(cmd.drain('gw1'));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('did not finish within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the cancel signal stops a running command and rejects with its reason', async () => {
    const controller = new AbortController();
    const cmd = createLoadBalancer(
      { type: 'command', drain: ['sleep', '10'], ready: ['true'], sessions: ['echo', '0'] },
      { signal: controller.signal },
    );
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled by Temporal')), 100);
    const error = await rejectionOf(cmd.drain('gw1'));
    expect(error.message).toBe('cancelled by Temporal');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('no load balancer', () => {
  it('drain and ready do nothing and print nothing; sessions is 0', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    try {
      const none = createLoadBalancer({ type: 'none' });
      await expect(none.drain('gw1')).resolves.toBeUndefined();
      await expect(none.ready('gw1')).resolves.toBeUndefined();
      expect(await none.sessions('gw1')).toBe(0);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

function lbFor(socket: string): LoadBalancer {
  return createLoadBalancer({ type: 'haproxy', socket, backend: 'gateways' });
}
