/**
 * The `command` load-balancer adapter: the operator's own drain, ready and sessions commands from the
 * inventory (argv arrays, `{server}` replaced by the server name), run on host/exec.ts.
 */
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../shared/errors.js';
import { byHand, commandLine, execute, type ExecResult } from '../host/exec.js';
import { truncateForMessage } from './haproxy-stat.js';
import type { LoadBalancer, LoadBalancerOptions } from './index.js';

/** Default time limit of one adapter command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

type CommandConfig = { drain: string[]; ready: string[]; sessions: string[] };

/** Operator-supplied commands, run without a shell. */
export function commandLoadBalancer(config: CommandConfig, options: LoadBalancerOptions): LoadBalancer {
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

/** Last lines of a command's stderr, for an error message. */
function tail(text: string, maxChars = 1024): string {
  const t = text.trimEnd();
  return t.length <= maxChars ? t : `...${t.slice(-maxChars)}`;
}

/** Runs one adapter command for `server` and returns its stdout; typed errors on failure. */
async function runCommand(
  what: string,
  template: string[],
  server: string,
  options: LoadBalancerOptions,
): Promise<string> {
  if (template.length === 0 || template[0] === '') {
    throw new ConfigurationError(
      `The load balancer "${what}" command is empty. Fix: give it as an argv array in the inventory.`,
    );
  }
  const argv = fill(template, server);
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const result = await execute({ argv, timeoutMs, signal: options.signal });
  if (result.exitCode === 0 && !result.timedOut && !result.cancelled) return result.stdout;
  throw commandFailure(result, { what, server, argv, timeoutMs, signal: options.signal });
}

/** Why an adapter command failed, in plain words with the command to run by hand. */
function commandFailure(
  result: ExecResult,
  run: { what: string; server: string; argv: string[]; timeoutMs: number; signal?: AbortSignal },
): unknown {
  const shown = byHand(run.argv);
  const file = run.argv[0];
  if (result.cancelled)
    return run.signal?.reason ?? new TransientError(`Load balancer ${run.what} command was cancelled: ${shown}`);
  const label = `The load balancer ${run.what} command for server "${run.server}"`;
  const stderr = tail(result.stderr);
  const stderrPart = stderr === '' ? ' It printed nothing on stderr.' : ` Its stderr ends with:\n${stderr}\n`;
  if (result.spawnError?.code === 'ENOENT') {
    return new ConfigurationError(
      `${label} could not start: "${file}" was not found. Fix the command in the inventory: ${shown}`,
    );
  }
  if (result.spawnError?.code === 'EACCES') {
    return new ConfigurationError(
      `${label} could not start: "${file}" is not executable. Fix the command in the inventory: ${shown}`,
    );
  }
  if (result.timedOut) {
    return new TransientError(
      `${label} did not finish within ${run.timeoutMs} ms and was killed (expected it to exit 0).${stderrPart} Run it by hand: ${shown}`,
    );
  }
  const how =
    result.exitCode !== undefined
      ? `exited with exit code ${result.exitCode}`
      : result.killedBy !== undefined
        ? `was killed by ${result.killedBy}`
        : `failed (${result.message || 'unknown error'})`;
  return new TransientError(`${label} ${how} (expected exit code 0).${stderrPart} Run it by hand: ${shown}`);
}
