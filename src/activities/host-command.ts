/**
 * Runs a command of the inventory on this host (npm install, an install/restart command, a reconnect
 * hook) with the instance's environment, a timeout and the activity's cancellation, and says in plain
 * words why it failed: exit code, what was expected, what it printed, and the command to run by hand.
 */
import { execa } from 'execa';
import { ConfigurationError, TransientError } from '../errors.js';
import { quote } from '../redact.js';
import { childEnvironment } from './child-env.js';

export interface HostCommand {
  /** How the message names it, e.g. "restart command" or "reconnect hook". */
  what: string;
  argv: string[];
  env: Record<string, string>;
  /** What success means, for the failure message ("it to install openclaw 2026.9.6"). */
  expected: string;
  /** Which inventory field to fix when the program does not exist here. */
  field: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs it; resolves with its duration, throws TransientError (failed, timed out, cancelled) or ConfigurationError (cannot run). */
export async function runHostCommand(cmd: HostCommand): Promise<{ command: string; durationMs: number }> {
  const started = Date.now();
  const command = cmd.argv.join(' ');
  const [file, ...args] = cmd.argv;
  const r = await execa(file!, args, {
    env: childEnvironment(cmd.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: cmd.timeoutMs,
    forceKillAfterDelay: 5000,
    cancelSignal: cmd.signal,
    maxBuffer: 50_000_000,
  });
  if (r.isCanceled) throw new TransientError(`${cmd.what} \`${command}\` was cancelled.`);
  if (r.timedOut) throw new TransientError(`${cmd.what} \`${command}\` did not finish within ${cmd.timeoutMs / 1000} s and was killed. Run it by hand:\n  ${command}`);
  if (r.exitCode === undefined) {
    throw new ConfigurationError(`cannot run "${file}" on this host: ${quote(describeCause(r.cause, r.message ?? ''), 300)}. Fix ${cmd.field} in the inventory.`);
  }
  if (r.exitCode !== 0) {
    throw new TransientError(
      `${cmd.what} \`${command}\` exited with code ${r.exitCode}; expected ${cmd.expected}.\n` +
        `It said:\n${quote(r.stderr || r.stdout, 1500)}\nRun it by hand:\n  ${command}`,
    );
  }
  return { command, durationMs: Date.now() - started };
}

/** A readable reason from execa's `cause` (an Error, or whatever the child threw). */
function describeCause(cause: unknown, fallback: string): string {
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : fallback;
}
