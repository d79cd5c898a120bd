/**
 * Runs the openclaw CLI for one gateway: builds its environment from the inventory (state dir, config
 * path, profile, url + credentials resolved on this host), applies a timeout and the activity's
 * cancellation signal, and reports failures in plain words (exit code, what was expected, the command
 * to run by hand), on host/exec.ts. It never interprets output: that is parse/'s job.
 */
import { ConfigurationError, TransientError } from '../../shared/errors.js';
import type { GatewayAccess } from '../../shared/inventory.js';
import { redact } from '../host/redact.js';
import { OPERATION_ENV, stopLeftovers } from '../host/leftovers.js';
import { execute, shellQuote } from '../host/exec.js';
import { outputTail } from '../host/npm-errors.js';
import { resolveSecret } from '../host/secrets.js';

export interface CliRun {
  /** The argv after the CLI itself, e.g. ['devices', 'list', '--json']. */
  args: string[];
  /** Whether this subcommand takes --url (devices, gateway status, logs); others rely on state dir/config. */
  remote?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * An operation that runs once per instance at a time (e.g. `gw-1:backup-create`): programs a dead
   * worker left running with the same tag are stopped first (host/leftovers.ts).
   */
  exclusive?: string;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
  /** The command line an operator can paste to run the same call by hand (secrets left out). */
  byHand: string;
}

/** The environment for the CLI (state dir, config path, the inventory's env) and how to show it. */
export function cliEnvironment(access: GatewayAccess): { env: Record<string, string>; shown: string[] } {
  const env: Record<string, string> = { ...access.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  const shown = Object.entries(access.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  if (access.stateDir) {
    env.OPENCLAW_STATE_DIR = access.stateDir;
    shown.push(`OPENCLAW_STATE_DIR=${shellQuote(access.stateDir)}`);
  }
  if (access.configPath) {
    env.OPENCLAW_CONFIG_PATH = access.configPath;
    shown.push(`OPENCLAW_CONFIG_PATH=${shellQuote(access.configPath)}`);
  }
  return { env, shown };
}

/**
 * The full argv for one call: the CLI, --profile, the subcommand, and for subcommands that take them,
 * --url with its credentials. The CLI refuses a --url override without explicit --token/--password
 * ("gateway url override requires explicit credentials"; OPENCLAW_GATEWAY_TOKEN is not enough), so
 * the secret goes on argv here; `shown` is the same argv with the secret replaced by a placeholder.
 */
export async function cliArgv(
  access: GatewayAccess,
  run: Pick<CliRun, 'args' | 'remote'>,
): Promise<{ argv: string[]; shown: string[] }> {
  const argv = [...access.cli];
  if (access.profile) argv.push('--profile', access.profile);
  argv.push(...run.args);
  const shown = [...argv];
  if (run.remote && access.url) {
    argv.push('--url', access.url);
    shown.push('--url', access.url);
    if (access.token) {
      argv.push('--token', await resolveSecret(access.token, 'gateway.token'));
      shown.push('--token', '<your gateway token>');
    } else if (access.password) {
      argv.push('--password', await resolveSecret(access.password, 'gateway.password'));
      shown.push('--password', '<your gateway password>');
    }
  }
  return { argv, shown };
}

/** Runs one CLI call. Resolves with whatever exit code it had; throws only when it could not run or hung. */
export async function runCli(access: GatewayAccess, run: CliRun): Promise<CliResult> {
  const { env, shown: shownEnv } = cliEnvironment(access);
  const { argv, shown } = await cliArgv(access, run);
  const byHand = redact([...shownEnv, ...shown.map(shellQuote)].join(' '));
  // A dead worker's run of the same operation would otherwise go on beside this one.
  if (run.exclusive) await stopLeftovers(run.exclusive);
  const tagged = run.exclusive ? { ...env, [OPERATION_ENV]: run.exclusive } : env;
  const result = await execute({ argv, env: tagged, timeoutMs: run.timeoutMs, signal: run.signal });
  const { durationMs } = result;
  if (result.cancelled) {
    throw new TransientError(`\`${byHand}\` was cancelled after ${seconds(durationMs)} (the activity was cancelled).`);
  }
  if (result.timedOut) {
    throw new TransientError(
      `\`${byHand}\` did not finish within ${seconds(run.timeoutMs)} and was killed. Expected it to answer in time; ` +
        `the gateway may be overloaded or hung. Run it by hand to see where it waits:\n  ${byHand}`,
    );
  }
  if (result.spawnError) {
    const missing = result.spawnError.code === 'ENOENT';
    throw new ConfigurationError(
      missing
        ? `cannot run "${argv[0]}": not found on this host. Install openclaw here or set gateway.cli in the inventory to its path.`
        : `cannot run "${argv[0]}": ${redact(String(result.spawnError.message))}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1, durationMs, byHand };
}

/** Fails with describeFailure's message unless the exit code is in `ok`. */
export function expectExit(result: CliResult, ok: number[], expected: string): void {
  if (!ok.includes(result.exitCode)) throw new TransientError(describeFailure(result, expected));
}

/** A plain-words failure for a call that exited with an unexpected code. */
export function describeFailure(result: CliResult, expected: string): string {
  return (
    `\`${result.byHand}\` exited with code ${result.exitCode} after ${seconds(result.durationMs)}; expected ${expected}.\n` +
    `It said:\n${outputTail(result.stderr, result.stdout)}\n` +
    `Run it by hand:\n  ${result.byHand}`
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
