/**
 * HAProxy runtime API client, spoken directly over `node:net` (no socat): one command per connection
 * in non-interactive mode (write `cmd\n`, read until HAProxy closes). Every call has a timeout and
 * honours an AbortSignal; an abort rejects with the signal's reason.
 */
import net from 'node:net';
import { ConfigurationError, TransientError } from '../../shared/errors.js';
import {
  parseServersState,
  parseSetServerReply,
  parseShowStat,
  truncateForMessage,
  type ServerAdminState,
  type StatRow,
} from './haproxy-stat.js';

import { waitForZeroSessions, type DrainWaitOptions, type DrainWaitResult } from './drain-wait.js';

export type { ServerAdminState, StatRow } from './haproxy-stat.js';
export type { DrainWaitOptions, DrainWaitResult } from './drain-wait.js';

/** Default time limit of one runtime API call. */
export const DEFAULT_HAPROXY_TIMEOUT_MS = 5_000;

/** Options every runtime API call takes. */
export interface CallOptions {
  /** Time limit for connect + reply, in ms (default 5 s). */
  timeoutMs?: number;
  /** Aborts the call; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Where the runtime API listens: a unix socket or a TCP `host:port`. */
export type RuntimeApiAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * Reads an admin address: `/path/admin.sock` or `unix:/path/admin.sock` (unix socket), `host:port` or
 * `[ipv6]:port` (TCP). Throws ConfigurationError for anything else.
 */
export function parseAddress(address: string): RuntimeApiAddress {
  if (address.startsWith('/')) return { kind: 'unix', path: address };
  if (address.startsWith('unix:') && address.length > 'unix:'.length) return { kind: 'unix', path: address.slice(5) };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (m && port >= 1 && port <= 65535) return { kind: 'tcp', host: m[1] ?? m[2] ?? '', port };
  throw new ConfigurationError(
    `"${address}" is not a HAProxy runtime API address. Expected a unix socket path (\`/run/haproxy/admin.sock\` ` +
      `or \`unix:/run/haproxy/admin.sock\`) or a TCP \`host:port\` (\`127.0.0.1:9999\`), matching a ` +
      '`stats socket ... level admin` line of haproxy.cfg.',
  );
}

/** The shell command an operator can run to send `command` by hand. */
export function manualCommand(address: string, command: string): string {
  const a = parseAddress(address);
  const target =
    a.kind === 'unix'
      ? `unix-connect:${a.path}`
      : `tcp-connect:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  return `echo "${command}" | socat stdio ${target}`;
}

/**
 * Sends one command to the runtime API and returns the whole reply. Throws TransientError when the
 * socket cannot be reached, resets or times out; ConfigurationError when it may not be opened (EACCES)
 * or the address is malformed.
 */
export function runtimeCommand(address: string, command: string, options: CallOptions = {}): Promise<string> {
  const target = parseAddress(address);
  const timeoutMs = options.timeoutMs ?? DEFAULT_HAPROXY_TIMEOUT_MS;
  const { signal } = options;
  const where = target.kind === 'unix' ? `unix socket ${target.path}` : `TCP address ${target.host}:${target.port}`;
  const byHand = manualCommand(address, command);
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket =
      target.kind === 'unix'
        ? net.connect({ path: target.path })
        : net.connect({ host: target.host, port: target.port });
    const finish = (error: unknown, reply?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve(reply ?? '');
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort rejects with the signal's own reason, as fetch does
      else reject(error);
    };
    const onAbort = (): void => finish(signal?.reason ?? new DOMException('The operation was aborted', 'AbortError'));
    const timer = setTimeout(() => {
      finish(
        new TransientError(
          `HAProxy runtime API at ${where} did not answer \`${command}\` within ${timeoutMs} ms ` +
            `(expected HAProxy to reply and close the connection). Is HAProxy overloaded or stuck? Try by hand: ${byHand}`,
        ),
      );
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    // No half-close after the command: HAProxy replies, then closes the connection itself.
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const onClosed = (): void => {
      const reply = Buffer.concat(chunks).toString('utf8');
      // HAProxy answers every command with at least a newline; no byte at all means it hung up on us.
      if (reply !== '') return finish(undefined, reply);
      finish(
        new TransientError(
          `HAProxy runtime API at ${where} closed the connection without answering \`${command}\` ` +
            `(expected at least an empty line; is HAProxy reloading or at its connection limit?). Try by hand: ${byHand}`,
        ),
      );
    };
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(socketError(err, where, command, byHand)));
  });
}

/** Turns a socket error into a typed error with a plain-words message. */
function socketError(err: NodeJS.ErrnoException, where: string, command: string, byHand: string): Error {
  const base = `Could not send \`${command}\` to the HAProxy runtime API at ${where}`;
  const expected = 'Expected HAProxy to listen there (a `stats socket ... level admin` line in haproxy.cfg).';
  switch (err.code) {
    case 'ENOENT':
      return new TransientError(
        `${base}: the socket file does not exist (is HAProxy running?). ${expected} Try by hand: ${byHand}`,
        { cause: err },
      );
    case 'ECONNREFUSED':
      return new TransientError(
        `${base}: connection refused (HAProxy is not running or is restarting). ${expected} Try by hand: ${byHand}`,
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new ConfigurationError(
        `${base}: permission denied opening the socket. Fix: run the worker as a user that may open it, or set ` +
          `\`mode\`/\`user\`/\`group\` on the \`stats socket\` line of haproxy.cfg. Try by hand: ${byHand}`,
        { cause: err },
      );
    default:
      return new TransientError(
        `${base}: ${err.code ?? 'error'} (${err.message}). ${expected} Try by hand: ${byHand}`,
        { cause: err },
      );
  }
}

/** HAProxy identifiers are letters, digits, `-`, `_`, `.` and `:`; anything else could smuggle a second command. */
const IDENTIFIER = /^[A-Za-z0-9_.:-]+$/;

function checkNames(backend: string, server: string): void {
  for (const [what, name] of [
    ['backend', backend],
    ['server', server],
  ] as const) {
    if (!IDENTIFIER.test(name)) {
      throw new ConfigurationError(
        `HAProxy ${what} name "${name}" is not valid: HAProxy names use only letters, digits, "-", "_", "." and ":". Fix the inventory.`,
      );
    }
  }
}

/** Runs `show stat` and returns its server rows. */
export async function showStat(address: string, options: CallOptions = {}): Promise<StatRow[]> {
  return parseShowStat(await runtimeCommand(address, 'show stat', options));
}

/** Finds one server's row in `show stat`; ConfigurationError (listing what exists) if it is not there. */
function findRow(rows: StatRow[], backend: string, server: string): StatRow {
  const inBackend = rows.filter((r) => r.backend === backend);
  const row = inBackend.find((r) => r.server === server);
  if (row) return row;
  if (inBackend.length === 0) {
    const backends = [...new Set(rows.map((r) => r.backend))];
    throw new ConfigurationError(
      `HAProxy has no backend "${backend}" with servers. Backends with servers: ${backends.join(', ') || '(none)'}. ` +
        "Fix: set the inventory's HAProxy backend to one of these.",
    );
  }
  throw new ConfigurationError(
    `HAProxy backend "${backend}" has no server "${server}". Its servers: ${inBackend.map((r) => r.server).join(', ')}. ` +
      `Fix: make the inventory's HAProxy server name match one of these \`server\` lines.`,
  );
}

/** A server's `show stat` row plus its admin state from `show servers state`. */
export interface ServerState extends StatRow {
  /** `ready`, `drain` or `maint`: what `set server ... state` last set (true even while the server is DOWN). */
  admin: ServerAdminState;
}

/**
 * Returns one server's state. Throws ConfigurationError if the backend or the server does not exist,
 * listing the ones that do.
 */
export async function serverState(
  address: string,
  backend: string,
  server: string,
  options: CallOptions = {},
): Promise<ServerState> {
  checkNames(backend, server);
  const row = findRow(await showStat(address, options), backend, server);
  const reply = await runtimeCommand(address, `show servers state ${backend}`, options);
  const state = parseServersState(reply, backend).find((s) => s.server === server);
  if (!state) {
    throw new TransientError(
      `HAProxy listed server ${backend}/${server} in \`show stat\` but not in \`show servers state ${backend}\` ` +
        `(was the configuration reloaded in between?). It printed:\n${truncateForMessage(reply)}`,
    );
  }
  return { ...row, admin: state.admin };
}

/**
 * Sets a server's admin state with `set server <backend>/<server> state <state>`. Idempotent: HAProxy
 * accepts the same state twice. ConfigurationError if the backend or server does not exist.
 */
export async function setServerState(
  address: string,
  backend: string,
  server: string,
  state: ServerAdminState,
  options: CallOptions = {},
): Promise<void> {
  checkNames(backend, server);
  const reply = await runtimeCommand(address, `set server ${backend}/${server} state ${state}`, options);
  parseSetServerReply(reply, backend, server, state);
}

/** Returns the number of sessions open on a server right now (`scur`). */
export async function currentSessions(
  address: string,
  backend: string,
  server: string,
  options: CallOptions = {},
): Promise<number> {
  checkNames(backend, server);
  return findRow(await showStat(address, options), backend, server).currentSessions;
}

/** Options of waitForSessionsToDrain: the drain wait's, and the time limit of each runtime API call (default 5 s). */
export interface HaproxyDrainWaitOptions extends DrainWaitOptions {
  timeoutMs?: number;
}

/** Polls `show stat` until the server has no open sessions (see waitForZeroSessions). */
export function waitForSessionsToDrain(
  address: string,
  backend: string,
  server: string,
  options: HaproxyDrainWaitOptions,
): Promise<DrainWaitResult> {
  const call = { timeoutMs: options.timeoutMs, signal: options.signal };
  return waitForZeroSessions(() => currentSessions(address, backend, server, call), options);
}
