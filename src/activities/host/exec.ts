/**
 * The one way activities run a program on this host (the openclaw CLI, npm, install, restart, stop and
 * start commands, reconnect hooks, load-balancer commands): no shell, the child environment without
 * test-runner markers, stdin closed, at most MAX_OUTPUT_BYTES of output, and a time limit and the
 * activity's cancellation that stop the program's whole process group (TERM, then KILL after
 * KILL_GRACE_MS), so a shell script's children do not outlive it. It says what happened; callers say
 * what that means, with the command to run by hand quoted by commandLine/byHand below.
 */
import { execa } from 'execa';
import { ConfigurationError, TransientError } from '../../shared/errors.js';
import { commandLine, shellQuote } from '../../shared/shell-line.js';
import { quote, redact } from './redact.js';
import { childEnvironment } from './child-env.js';
import { npmErrorSentence, outputTail } from './npm-errors.js';
import { killGroupOnExit } from './process-group.js';

/** How long a program may take to exit after TERM before its process group gets KILL. */
export const KILL_GRACE_MS = 5000;
/** What a program may print on stdout or stderr before it is stopped. */
export const MAX_OUTPUT_BYTES = 50_000_000;

export interface ExecRequest {
  argv: string[];
  /** Added to the child environment (childEnvironment). */
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Its exit code; undefined when it did not start or a signal ended it. */
  exitCode: number | undefined;
  /** The signal that ended it (ours after a timeout or a cancel, or anyone's), if one did. */
  killedBy: string | undefined;
  timedOut: boolean;
  cancelled: boolean;
  /** Why it could not start (ENOENT: not found, EACCES: not executable, ...), when it did not. */
  spawnError: NodeJS.ErrnoException | undefined;
  /** execa's one-line account of a failure (the reason when nothing more specific applies). */
  message: string;
  durationMs: number;
}

/** Runs `argv`; never throws for the program's failures: the result says what happened. */
export async function execute(req: ExecRequest): Promise<ExecResult> {
  const [file, ...args] = req.argv;
  const started = Date.now();
  const child = execa(file!, args, {
    env: childEnvironment(req.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    maxBuffer: MAX_OUTPUT_BYTES,
    // Its own process group, so that a timeout or a cancel can stop everything it started.
    detached: true,
  });
  const stop = stopOnTimeoutOrCancel(child.pid, req);
  const r = await child.finally(stop.release);
  const spawnError =
    r.exitCode === undefined && r.signal === undefined ? (r.cause as NodeJS.ErrnoException | undefined) : undefined;
  return {
    stdout: text(r.stdout),
    stderr: text(r.stderr),
    exitCode: r.exitCode,
    killedBy: r.signal,
    timedOut: stop.timedOut(),
    cancelled: stop.cancelled(),
    spawnError,
    message: r.shortMessage ?? r.message ?? '',
    durationMs: Date.now() - started,
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** Arms the time limit and the cancel signal of one run: both stop the process group `pid`. */
function stopOnTimeoutOrCancel(pid: number | undefined, req: ExecRequest) {
  let timedOut = false;
  let cancelled = false;
  let force: NodeJS.Timeout | undefined;
  const forget = pid === undefined ? () => {} : killGroupOnExit(pid);
  const kill = () => {
    signalGroup(pid, 'SIGTERM');
    force ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, req.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    kill();
  };
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    timedOut: () => timedOut,
    cancelled: () => cancelled,
    release: () => {
      clearTimeout(timer);
      clearTimeout(force);
      req.signal?.removeEventListener('abort', onAbort);
      forget();
    },
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

export { commandLine, shellQuote };

/** The line an operator can paste to run `argv` by hand: quoted, secrets redacted. */
export function byHand(argv: string[]): string {
  return redact(commandLine(argv));
}

// ---------------------------------------------------------------------------------------------------
// An inventory command that must exit 0 (npm install, an install/restart/stop/start command, a hook)

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
  const command = byHand(cmd.argv);
  const r = await execute(cmd);
  if (r.cancelled) throw new TransientError(`${cmd.what} \`${command}\` was cancelled.`);
  if (r.timedOut) {
    throw new TransientError(
      `${cmd.what} \`${command}\` did not finish within ${cmd.timeoutMs / 1000} s and was killed. Its last output:\n${outputTail(r.stderr, r.stdout)}\nRun it by hand:\n  ${command}`,
    );
  }
  if (r.exitCode === undefined) {
    throw new ConfigurationError(
      `cannot run "${cmd.argv[0]}" on this host: ${quote(r.spawnError?.message ?? r.message, 300)}. Fix ${cmd.field} in the inventory.`,
    );
  }
  if (r.exitCode !== 0) throw new TransientError(failureMessage(cmd, command, r.exitCode, r.stderr, r.stdout));
  return { command, durationMs: r.durationMs };
}

/** The failure message of a command that exited with `exitCode`: what was expected, npm's code in words, what it said, how to rerun it. */
export function failureMessage(
  cmd: Pick<HostCommand, 'what' | 'expected' | 'installs'>,
  command: string,
  exitCode: number,
  stderr: string,
  stdout: string,
): string {
  const sentence = npmErrorSentence(stderr, stdout, cmd.installs);
  return (
    `${cmd.what} \`${command}\` exited with code ${exitCode}; expected ${cmd.expected}.\n` +
    (sentence ? `${sentence}\n` : '') +
    `It said:\n${outputTail(stderr, stdout)}\nRun it by hand:\n  ${command}`
  );
}
