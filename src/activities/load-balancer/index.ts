/**
 * The load-balancer adapter: take a gateway out of rotation before its update, put it back after.
 * Three implementations, chosen by the inventory: HAProxy's runtime API, operator-supplied commands,
 * or none at all.
 */
import { execa } from 'execa';
import { childEnvironment } from '../host/child-env.js';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../shared/errors.js';
import { truncateForMessage } from './haproxy-stat.js';
import type { LoadBalancerConfig } from '../../shared/inventory.js';
import { currentSessions, serverState, setServerState, type ServerAdminState } from './haproxy.js';

/** Which load balancer fronts the gateways: the inventory's `loadBalancer` (src/shared/inventory.ts). */
export type { LoadBalancerConfig };

/** A server as the load balancer sees it. */
export interface LoadBalancerServerState {
  /** The admin state, or `unknown` when the adapter cannot tell (command, none). */
  admin: ServerAdminState | 'unknown';
  /** Operational status as the load balancer prints it (HAProxy: `UP`, `DOWN`, `DRAIN`, ...), or `unknown`. */
  status: string;
  /** Sessions open on the server now. */
  sessions: number;
}

/** Takes servers (gateways, by their load-balancer name) out of and back into rotation. */
export interface LoadBalancer {
  /** Stops sending new connections to `server`; existing ones stay. Idempotent. */
  drain(server: string): Promise<void>;
  /** Sends new connections to `server` again. Idempotent. */
  ready(server: string): Promise<void>;
  /** Number of sessions open on `server` now. */
  sessions(server: string): Promise<number>;
  /** What the load balancer says about `server`. */
  state(server: string): Promise<LoadBalancerServerState>;
}

/** Options of createLoadBalancer. */
export interface LoadBalancerOptions {
  /** Cancels every call (pass the activity's cancellation signal); calls then reject with its reason. */
  signal?: AbortSignal;
  /** Time limit of each call in ms: default 5 s for the HAProxy socket, 30 s for commands. */
  timeoutMs?: number;
}

/** Default time limit of one adapter command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** Builds the adapter the config asks for. */
export function createLoadBalancer(config: LoadBalancerConfig, options: LoadBalancerOptions = {}): LoadBalancer {
  switch (config.type) {
    case 'haproxy':
      return haproxyLoadBalancer(config, options);
    case 'command':
      return commandLoadBalancer(config, options);
    case 'none':
      return noLoadBalancer;
  }
}

/** HAProxy through its runtime API. */
function haproxyLoadBalancer(config: { socket: string; backend: string }, options: LoadBalancerOptions): LoadBalancer {
  const call = { signal: options.signal, timeoutMs: options.timeoutMs };
  const { socket, backend } = config;
  return {
    drain: (server) => setServerState(socket, backend, server, 'drain', call),
    ready: (server) => setServerState(socket, backend, server, 'ready', call),
    sessions: (server) => currentSessions(socket, backend, server, call),
    async state(server) {
      const s = await serverState(socket, backend, server, call);
      return { admin: s.admin, status: s.status, sessions: s.currentSessions };
    },
  };
}

/** No load balancer: nothing to drain, nothing open. */
const noLoadBalancer: LoadBalancer = {
  drain: async () => {},
  ready: async () => {},
  sessions: async () => 0,
  state: async () => ({ admin: 'unknown', status: 'unknown', sessions: 0 }),
};

/** Operator-supplied commands, run with execa (no shell). */
function commandLoadBalancer(
  config: { drain: string[]; ready: string[]; sessions: string[] },
  options: LoadBalancerOptions,
): LoadBalancer {
  const run = (what: 'drain' | 'ready' | 'sessions', server: string): Promise<string> =>
    runCommand(what, config[what], server, options);
  const sessions = async (server: string): Promise<number> => {
    const stdout = await run('sessions', server);
    const text = stdout.trim();
    if (!/^\d+$/.test(text)) {
      throw new UnexpectedOutputError(
        commandLine(fill(config.sessions, server)),
        'one non-negative integer (the number of sessions open on the server)',
        truncateForMessage(stdout === '' ? '(nothing)' : stdout),
      );
    }
    return Number(text);
  };
  return {
    drain: async (server) => void (await run('drain', server)),
    ready: async (server) => void (await run('ready', server)),
    sessions,
    state: async (server) => ({ admin: 'unknown', status: 'unknown', sessions: await sessions(server) }),
  };
}

/** Replaces `{server}` in every argv element. */
function fill(argv: string[], server: string): string[] {
  return argv.map((a) => a.replaceAll('{server}', server));
}

/** Quotes argv for a POSIX shell, for "run this by hand" hints. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Last lines of a command's stderr, for an error message. */
function tail(text: string, maxChars = 1024): string {
  const t = text.trimEnd();
  return t.length <= maxChars ? t : `...${t.slice(-maxChars)}`;
}

/** Runs one adapter command for `server` and returns its stdout; typed errors on failure. */
async function runCommand(what: string, template: string[], server: string, options: LoadBalancerOptions): Promise<string> {
  if (template.length === 0 || template[0] === '') {
    throw new ConfigurationError(`The load balancer "${what}" command is empty. Fix: give it as an argv array in the inventory.`);
  }
  const argv = fill(template, server);
  const [file, ...args] = argv as [string, ...string[]];
  const shown = commandLine(argv);
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const result = await execa(file, args, {
    env: childEnvironment(),
    extendEnv: false,
    timeout: timeoutMs,
    cancelSignal: options.signal,
    reject: false,
    stdin: 'ignore',
  });
  if (!result.failed) return result.stdout;
  if (result.isCanceled) throw options.signal?.reason ?? new TransientError(`Load balancer ${what} command was cancelled: ${shown}`);
  const label = `The load balancer ${what} command for server "${server}"`;
  const stderr = tail(result.stderr);
  const stderrPart = stderr === '' ? ' It printed nothing on stderr.' : ` Its stderr ends with:\n${stderr}\n`;
  if (result.code === 'ENOENT' && result.exitCode === undefined) {
    throw new ConfigurationError(`${label} could not start: "${file}" was not found. Fix the command in the inventory: ${shown}`);
  }
  if (result.code === 'EACCES' && result.exitCode === undefined) {
    throw new ConfigurationError(`${label} could not start: "${file}" is not executable. Fix the command in the inventory: ${shown}`);
  }
  if (result.timedOut) {
    throw new TransientError(
      `${label} did not finish within ${timeoutMs} ms and was killed (expected it to exit 0).${stderrPart} Run it by hand: ${shown}`,
    );
  }
  const how =
    result.exitCode !== undefined
      ? `exited with exit code ${result.exitCode}`
      : result.signal !== undefined
        ? `was killed by ${result.signal}`
        : `failed (${result.shortMessage ?? 'unknown error'})`;
  throw new TransientError(`${label} ${how} (expected exit code 0).${stderrPart} Run it by hand: ${shown}`);
}
