/**
 * The runbook's read-only checks of one gateway: `openclaw channels status --probe` and `openclaw doctor`.
 */
import type { GatewayAccess } from '../../shared/inventory.js';
import type { CallContext } from '../call-context.js';
import { cliRelease, doctorJsonArgs } from './capabilities.js';
import { runCli } from './cli.js';
import * as parse from './parse/index.js';

/** `openclaw channels status --probe --json` (exit 0 even when down: the JSON decides). */
export async function channelsProbe(access: GatewayAccess, ctx: CallContext): Promise<parse.ChannelsStatus> {
  const probeMs = Math.max(1000, Math.min(15_000, ctx.timeoutMs - 5000));
  const r = await runCli(access, {
    args: ['channels', 'status', '--probe', '--json', '--timeout', String(probeMs)],
    ...ctx,
  });
  return parse.parseChannelsStatus(r);
}

/**
 * `openclaw doctor --json --non-interactive` (`--lint` added for a release whose --json needs it):
 * passes unless a finding has severity error.
 */
export async function doctor(access: GatewayAccess, ctx: CallContext): Promise<parse.DoctorReport> {
  const args = await doctorJsonArgs(access, ctx);
  if (!args) return doctorNotRun(await cliRelease(access, ctx));
  const r = await runCli(access, { args, ...ctx });
  return parse.parseDoctor(r);
}

/**
 * A release whose doctor has no read-only JSON mode (2026.4.1: `doctor` repairs or prompts): it is not
 * run, and the report says so in its warnings (the start and the checks after it decide instead).
 */
function doctorNotRun(release: string): parse.DoctorReport {
  return {
    passed: true,
    errors: [],
    migrations: [],
    blockingMigrations: [],
    warnings: [`not run: openclaw ${release} has no \`doctor --json\` (its doctor only repairs)`],
    migrationPending: false,
    stateTooNew: false,
  };
}
