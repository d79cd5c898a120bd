/**
 * Runs a command of the inventory on this host (npm install, an install/restart command, a reconnect
 * hook) with the instance's environment, a timeout and the activity's cancellation, and says in plain
 * words why it failed: exit code, what was expected, what it printed, and the command to run by hand.
 */
import { execa } from 'execa';
import { ConfigurationError, TransientError } from '../../shared/errors.js';
import { quote } from './redact.js';
import { childEnvironment } from './child-env.js';
import { npmErrorSentence, outputTail } from './npm-errors.js';

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
  /** The package it installs, so an npm error can name it ("no version 2026.99.9 of openclaw"). */
  installs?: { pkg: string; version: string };
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
  if (r.timedOut) {
    throw new TransientError(`${cmd.what} \`${command}\` did not finish within ${cmd.timeoutMs / 1000} s and was killed. Its last output:\n${outputTail(str(r.stderr), str(r.stdout))}\nRun it by hand:\n  ${command}`);
  }
  if (r.exitCode === undefined) {
    throw new ConfigurationError(`cannot run "${file}" on this host: ${quote(describeCause(r.cause, r.message ?? ''), 300)}. Fix ${cmd.field} in the inventory.`);
  }
  if (r.exitCode !== 0) {
    throw new TransientError(failureMessage(cmd, command, r.exitCode, str(r.stderr), str(r.stdout)));
  }
  return { command, durationMs: Date.now() - started };
}

/** The failure message of a command that exited with `exitCode`: what was expected, npm's code in words, what it said, how to rerun it. */
export function failureMessage(cmd: Pick<HostCommand, 'what' | 'expected' | 'installs'>, command: string, exitCode: number, stderr: string, stdout: string): string {
  const sentence = npmErrorSentence(stderr, stdout, cmd.installs);
  return (
    `${cmd.what} \`${command}\` exited with code ${exitCode}; expected ${cmd.expected}.\n` +
    (sentence ? `${sentence}\n` : '') +
    `It said:\n${outputTail(stderr, stdout)}\nRun it by hand:\n  ${command}`
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A readable reason from execa's `cause` (an Error, or whatever the child threw). */
function describeCause(cause: unknown, fallback: string): string {
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : fallback;
}
