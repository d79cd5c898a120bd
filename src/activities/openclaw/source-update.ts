/**
 * `openclaw update` for an install of type `source`, run while the gateway is stopped (the workflow
 * stops it through its supervisor first: on a running gateway the updater's doctor finds the databases
 * in use). Exit 0 → its JSON (status ok/skipped/error, reason, reportPath); exit 75 → handed to a
 * background helper, so `openclaw update status --json` is polled until the run finishes; anything else
 * → an error naming the reason and the command to run by hand.
 */
import { TransientError } from '../../shared/errors.js';
import type { GatewayAccess } from '../../shared/inventory.js';
import { outputTail } from '../host/npm-errors.js';
import { pause, type CallContext } from '../call-context.js';
import { runCli, type CliResult } from './cli.js';
import * as parse from './parse/index.js';

/** Exit code of an update handed to a background helper (EX_TEMPFAIL): not finished yet. */
export const HANDED_OFF = 75;
const FINISHED = ['succeeded', 'failed', 'rolled-back', 'skipped'];

export interface SourceUpdate {
  report: parse.UpdateReport;
  /** What ran, for the report (secrets left out). */
  command: string;
  /** Set when it was handed off (exit 75) and finished in the background. */
  handedOff?: boolean;
}

export async function runSourceUpdate(
  access: GatewayAccess,
  version: string,
  tag: string,
  ctx: CallContext,
  pollMs = 5000,
): Promise<SourceUpdate> {
  const r = await runCli(access, { args: ['update', '--yes', '--json', '--no-restart', '--tag', tag], ...ctx });
  if (r.exitCode === HANDED_OFF) return waitForHandedOffRun(access, version, r, ctx, pollMs);
  if (r.exitCode !== 0) throw updateFailed(version, r);
  const report = parse.parseUpdate(r);
  return { report, command: r.byHand };
}

/** The error for a failed update: its reason and failed step from the JSON, the command to run by hand. */
function updateFailed(version: string, r: CliResult): TransientError {
  let said: string;
  try {
    said = `${parse.updateFailure(parse.readUpdate(r))}.`;
  } catch (err) {
    // Not the one JSON document it prints on stdout: what it said, and why its JSON was not read.
    const reasons = parse.updateFailureReasons(r);
    said =
      (reasons.length
        ? `It said:\n${reasons.map((x) => `  - ${x}`).join('\n')}`
        : `It said:\n${outputTail(r.stderr, r.stdout)}`) +
      `\n(its JSON was not read: ${(err as Error).message.slice(0, 300)})`;
  }
  return new TransientError(
    `\`openclaw update\` exited with code ${r.exitCode} after ${(r.durationMs / 1000).toFixed(1)} s; expected it to install ${version}.\n` +
      `${said}\n` +
      '`openclaw update status` shows the run; a gateway still running holds its databases (stop it first).\n' +
      `Run it by hand (gateway stopped):\n  ${r.byHand}`,
  );
}

/** Polls `openclaw update status --json` (heartbeating) until the handed-off run is no longer active. */
async function waitForHandedOffRun(
  access: GatewayAccess,
  version: string,
  handoff: CliResult,
  ctx: CallContext,
  pollMs: number,
): Promise<SourceUpdate> {
  const started = Date.now();
  const runId = handedOffRunId(handoff);
  const statusCmd = handoff.byHand.replace(/ update .*$/, ' update status --json');
  for (;;) {
    const s = await runCli(access, { args: ['update', 'status', '--json'], ...ctx });
    const status = s.exitCode === 0 ? parse.parseUpdateStatus(s) : undefined;
    const run = status?.activeRun ?? status?.lastRun;
    ctx.heartbeat?.({ step: 'update', handedOff: true, phase: run?.phase, elapsedMs: Date.now() - started });
    if (status && !status.activeRun && run && FINISHED.includes(run.status) && (!runId || run.runId === runId)) {
      const report: parse.UpdateReport = {
        status: run.status,
        ...(run.reason ? { reason: run.reason } : {}),
        ...(run.after ? { after: run.after } : {}),
        changed: run.status === 'succeeded',
        ...(run.runId ? { runId: run.runId } : {}),
        installKind: status.installKind,
        facts: [],
      };
      if (run.status !== 'succeeded' && run.status !== 'skipped')
        throw new TransientError(
          `${parse.updateFailure(report)}; expected it to install ${version}. It was handed to a background helper (exit 75).\n` +
            `See the run:\n  ${statusCmd}\nRun the update by hand (gateway stopped):\n  ${handoff.byHand}`,
        );
      return { report, command: handoff.byHand, handedOff: true };
    }
    if (Date.now() - started > ctx.timeoutMs)
      throw new TransientError(
        `\`openclaw update\` was handed to a background helper (exit 75) and its run ${run ? `is still ${run.status} (${run.phase ?? 'no phase'})` : 'is not reported'} after ${Math.round(ctx.timeoutMs / 1000)} s; expected it to install ${version}.\n` +
          `Watch it with:\n  ${statusCmd}`,
      );
    await pause(pollMs, ctx.signal);
  }
}

/** The run id the handoff printed, if its output is the update JSON (so an older lastRun is not taken for it). */
function handedOffRunId(handoff: CliResult): string | undefined {
  try {
    return parse.readUpdate(handoff).runId;
  } catch {
    return undefined;
  }
}
