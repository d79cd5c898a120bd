/**
 * Running a program for a preflight check and keeping what it printed (on host/exec.ts): a check
 * reports a failure, so only a program that cannot run at all throws.
 */
import { ConfigurationError } from '../../shared/errors.js';
import { quote } from '../host/redact.js';
import { byHand, execute } from '../host/exec.js';
import type { CallContext } from '../call-context.js';

export interface Captured {
  exitCode: number;
  stdout: string;
  stderr: string;
  command: string;
}

/** Runs argv with the instance's environment and returns what it printed; throws ConfigurationError when it cannot run at all. */
export async function capture(argv: string[], env: Record<string, string>, ctx: CallContext): Promise<Captured> {
  const r = await execute({ argv, env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  const command = byHand(argv);
  if (r.cancelled) throw new ConfigurationError(`\`${command}\` was cancelled.`);
  if (r.timedOut)
    return { exitCode: -1, stdout: r.stdout, stderr: `${r.stderr}\n(killed after ${ctx.timeoutMs / 1000} s)`, command };
  if (r.exitCode === undefined)
    throw new ConfigurationError(
      `cannot run "${argv[0]}" on this host: ${quote(r.spawnError?.message ?? r.message, 300)}`,
    );
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, command };
}
