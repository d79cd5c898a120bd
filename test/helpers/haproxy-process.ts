/**
 * Test helper: a real HAProxy (`haproxy -W -db`) in a temp dir, in front of small `node:net` "echo"
 * servers that greet every connection with their own name. Talks to the runtime API with raw
 * `node:net` so that the code under test is not used to set up its own test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** HAProxy binary (Debian's). */
export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

/** Returns a loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback TCP server that writes `<name>\n` on every new connection, then echoes what it gets. */
export interface EchoServer {
  readonly name: string;
  readonly port: number;
  /** Stops listening and closes its open connections (HAProxy's health check then fails). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts an echo server named `name` on a free loopback port. */
export async function startEchoServer(name: string): Promise<EchoServer> {
  const port = await freePort();
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const echo: EchoServer = {
    name,
    port,
    async start() {
      server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {}); // health checks hang up abruptly
        socket.write(`${name}\n`);
        socket.on('data', (d) => socket.write(d));
      });
      const s = server;
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await echo.start();
  return echo;
}

/** Sends one runtime API command over a unix socket path or `host:port`; resolves with the raw reply. */
export function rawRuntimeCommand(address: string, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const [host, port] = address.split(':');
    const socket = address.startsWith('/') ? net.connect(address) : net.connect(Number(port), host);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to "${command}" from ${address} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (d: string) => (reply += d));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A running HAProxy. */
export interface HaproxyProcess {
  /** Temp dir holding haproxy.cfg and the sockets. */
  readonly dir: string;
  /** Admin-level unix socket path. */
  readonly adminSocket: string;
  /** Admin-level TCP runtime API address, `127.0.0.1:<port>`. */
  readonly adminTcp: string;
  /** User-level unix socket path (may read, may not `set server`). */
  readonly userSocket: string;
  /** The `mode tcp` frontend port on 127.0.0.1. */
  readonly frontendPort: number;
  /** The backend holding the echo servers. */
  readonly backend: string;
  /** What HAProxy printed so far (stdout + stderr). */
  output(): string;
  /** Stops HAProxy and removes the temp dir. */
  stop(): Promise<void>;
}

/** Options of startHaproxy. */
export interface HaproxyOptions {
  /** Servers of the backend, by name and loopback port. */
  servers: { name: string; port: number }[];
  /** Backend name (default `gateways`). */
  backend?: string;
  /** Health check interval in ms (default 200). */
  checkIntervalMs?: number;
  /** Extra haproxy.cfg text appended at the end (more backends, ...). */
  extraConfig?: string;
}

/**
 * Writes a config to a temp dir and starts `haproxy -W -db -f <cfg>`: admin sockets (unix and TCP), a
 * user-level socket, a `mode tcp` frontend with `balance source` and health-checked servers. Resolves
 * once the socket answers `show stat` and every server is UP.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyProcess> {
  const backend = options.backend ?? 'gateways';
  const inter = options.checkIntervalMs ?? 200;
  const dir = await mkdtemp(path.join(tmpdir(), 'ocr-haproxy-'));
  const adminSocket = path.join(dir, 'admin.sock');
  const userSocket = path.join(dir, 'user.sock');
  const adminTcp = `127.0.0.1:${await freePort()}`;
  const frontendPort = await freePort();
  const config = [
    'global',
    `  stats socket ${adminSocket} mode 600 level admin`,
    `  stats socket ipv4@${adminTcp} level admin`,
    `  stats socket ${userSocket} mode 600 level user`,
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend fe',
    `  bind 127.0.0.1:${frontendPort}`,
    `  default_backend ${backend}`,
    `backend ${backend}`,
    '  balance source',
    ...options.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check inter ${inter}ms rise 1 fall 1`),
    options.extraConfig ?? '',
    '',
  ].join('\n');
  const cfg = path.join(dir, 'haproxy.cfg');
  await writeFile(cfg, config);

  let output = '';
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-W', '-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exitedEarly) {
      await stop();
      throw new Error(`haproxy exited during startup:\n${output}\nconfig:\n${config}`);
    }
    const reply = await rawRuntimeCommand(adminSocket, 'show stat').catch(() => '');
    const serverLines = reply
      .split('\n')
      .filter((l) => l.startsWith(`${backend},`) && !l.startsWith(`${backend},BACKEND,`));
    if (serverLines.length === options.servers.length && serverLines.every((l) => l.split(',')[17] === 'UP')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not get ready within 10 s. Last show stat:\n${reply}\noutput:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dir, adminSocket, adminTcp, userSocket, frontendPort, backend, output: () => output, stop };
}

/** A client connection through the frontend; `server` is the name the echo server greeted with. */
export interface FrontendClient {
  readonly server: string;
  readonly socket: net.Socket;
  /** Sends `text` and resolves with the echoed line. */
  echo(text: string): Promise<string>;
  /** Closes the connection and waits until it is closed. */
  close(): Promise<void>;
}

/** Opens a connection through HAProxy's frontend and reads which server answered. */
export async function connectThrough(port: number): Promise<FrontendClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffered = '';
  const waiters: ((line: string) => void)[] = [];
  socket.on('data', (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no line from the echo server within 3 s')), 3_000);
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      socket.once('error', reject);
    });
  const server = await nextLine();
  return {
    server,
    socket,
    async echo(text) {
      const line = nextLine();
      socket.write(`${text}\n`);
      return line;
    },
    async close() {
      if (socket.destroyed) return;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      await closed;
    },
  };
}
