/**
 * `start`: runs the checks before anything changes, refuses (exit 1, nothing started or changed) when
 * one fails, else starts the cluster's rollout and prints its id, its Web UI link and how to approve.
 */
import type { Client } from '@temporalio/client';
import { UsageError, operatorName, type Command, type CommandContext, type Out } from '../command.js';
import { missingSearchAttributes, startOnce, uiLink, withClient } from '../client.js';
import { runPreflight } from '../preflight-checks.js';
import { lastRolloutLeft } from '../last-rollout.js';
import { problemLines, takenUpLines, warningLines } from '../views/preflight-tables.js';
import { rolloutStart } from '../workflow-starts.js';
import type { Inventory } from '../../shared/inventory.js';
import { cliLine } from '../../shared/operator-command.js';
import type { TakeUp } from '../../shared/take-up.js';
import { registerCommands } from '../../shared/search-attributes.js';
import { clusterRollout } from '../../workflows/index.js';

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;

/** The version to roll out: --target, else the inventory's targetVersion. */
function targetOf(ctx: CommandContext): string {
  const target = ctx.values.target ?? ctx.inventory.targetVersion;
  if (!target)
    throw new UsageError(
      'start: say which version to roll out: --target <version> (or targetVersion in the inventory)',
    );
  if (!VERSION.test(target)) throw new UsageError(`start: --target "${target}" is not a version (e.g. 2026.9.6)`);
  return target;
}

/** Whether the namespace has the search attributes; when not, says how to register them (the rollout runs without). */
async function searchAttributesReady(client: Client, inventory: Inventory, out: Out): Promise<boolean> {
  const namespace = inventory.temporal.namespace;
  const missing = await missingSearchAttributes(client, namespace);
  if (!missing.length) return true;
  out(
    `warning: search attributes ${missing.join(', ')} are not registered in namespace ${namespace}; the rollout runs without them (no "OpenclawPhase = 'AwaitingApproval'" filter). Register them once with:`,
  );
  for (const c of registerCommands(missing, namespace)) out(`  ${c}`);
  return false;
}

/** The checks before anything changes: a failed one refuses here, before any drain. Returns whether to go on. */
async function checksPass(client: Client, ctx: CommandContext, target: string, takeUp: TakeUp[]): Promise<boolean> {
  const { inventory, inventoryFile, out, invokedAs } = ctx;
  const report = await runPreflight(client, inventory, inventoryFile, 'start', target, takeUp);
  if (!report.ok) {
    out(
      `start refused: the checks before anything changes failed for the rollout of ${inventory.cluster} to ${target}; nothing was started or changed.`,
    );
    for (const p of problemLines(report)) out(`  - ${p}`);
    out(`See every check with: ${cliLine(invokedAs, `plan --inventory ${inventoryFile} --target ${target}`)}`);
    return false;
  }
  for (const w of warningLines(report)) out(`warning (policy.preflight.warn): ${w}`);
  for (const t of takenUpLines(report)) out(`taken up: ${t}`);
  return true;
}

async function startRollout(client: Client, ctx: CommandContext, target: string): Promise<number> {
  const { inventory, inventoryFile, values, out, invokedAs } = ctx;
  const searchAttributes = await searchAttributesReady(client, inventory, out);
  const takeUp = await lastRolloutLeft(client, inventory);
  if (!(await checksPass(client, ctx, target, takeUp))) return 1;
  const options = rolloutStart(
    inventory,
    { target, startedBy: operatorName(values.by), force: values.force === true, searchAttributes, invokedAs, takeUp },
    process.env,
  );
  const handle = await startOnce(
    () => client.workflow.start(clusterRollout, options),
    `a rollout of cluster ${inventory.cluster} is already running: ${options.workflowId}. Follow it with \`status\`, or stop it with \`abort\` first.`,
  );
  out(`started rollout ${handle.workflowId}: ${inventory.instances.length} instances to ${target}`);
  const ui = uiLink(inventory, handle.workflowId);
  if (ui) out(`Temporal Web UI: ${ui}`);
  out(
    `approve each instance when asked: ${cliLine(invokedAs, `approve --inventory ${inventoryFile} --instance <id> --approver <you>`)}`,
  );
  if (!values.wait) return 0;
  const report = await handle.result();
  out(`rollout ended: ${report.outcome}`);
  return report.outcome === 'done' ? 0 : 1;
}

export const start: Command = {
  name: 'start',
  options: ['target', 'by', 'force', 'wait'],
  help: `  start       run the same checks, refuse (exit 1, nothing started or changed) when one fails, else
              start the rollout of the cluster (one at a time per cluster); prints its id and UI link
              --target <version> (default: the inventory's targetVersion)  --by <name>
              An instance that already runs the target, healthy, in traffic, channels ok and with no
              device token mismatch in the last policy.mismatchWindow is verified and left alone
              (no drain, install, restart or rotation); --force redoes it.
              An instance the cluster's last rollout left out of traffic (skipped, aborted,
              cancelled, rejected; its gateway even stopped) is taken up: not refused because it is
              down, rolled forward from where it is, its time out of traffic counted from the first
              drain, and a rollback goes back to the release it ran before that rollout. Not one
              whose restore was cut off: finish or undo the restore first`,
  run(ctx) {
    const target = targetOf(ctx);
    return withClient(ctx.inventory, (client) => startRollout(client, ctx, target));
  },
};
