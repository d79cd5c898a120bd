/**
 * The operator CLI. Subcommands (see --help): validate an inventory, run the read-only preflight.
 * Exit codes: 0 ok, 1 the check found problems or a call failed, 2 bad usage or invalid input.
 */
import { rolloutWorkflowId } from './shared/ids.js';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ConfigurationError, RolloutError, ValidationError } from './shared/errors.js';
import type { Inventory } from './shared/inventory.js';
import { loadInventory } from './inventory-file.js';
import { connectionError, resolveConnection } from './worker/connection.js';
import { formatTable } from './cli/views/text-table.js';
import { progressTable, watchWriter } from './cli/views/status-view.js';
import { CLUSTER_KEY, PHASE_KEY, ROLLOUT_SEARCH_ATTRIBUTES, registerCommands } from './shared/search-attributes.js';
import type { PreflightReport } from './workflows/preflight.js';
import type { ClusterRolloutReport } from './workflows/cluster-rollout.js';
import {
  abortReason,
  approveRejoinUpdate,
  checkAbortRequest,
  checkDecision,
  checkFailureDecision,
  checkPauseRequest,
  decideFailureUpdate,
  pauseRollout,
  progressQuery,
  rejectRejoinUpdate,
  resumeRollout,
  type RolloutProgress,
} from './shared/messages/rollout.js';
import { HELP_DEVICE_COMMANDS, runDeviceCommand } from './cli/commands/repair.js';
import { canStopAndStart, deriveServiceCommand } from './shared/service-commands.js';
import { checksTable, checkWorkers, problemLines, problemsCell, runChecks, warningLines, withWorkerChecks, workersOnlyReport } from './cli/preflight-checks.js';

const HELP = `openclaw-rollout: rolling updates of OpenClaw Gateway clusters, with a human approval before
each instance returns to traffic (runbook "Cluster update and reload").

Usage: npm run starter -- <command> --inventory <cluster.yaml> [options]

Commands:
  validate    check the inventory file and print what it describes; touches nothing
  preflight   runbook "Before you start" on every instance, read-only: gateway healthy (runtime
              running, RPC probe ok), listed devices paired, load balancer knows the server, and the
              checks below (the target ones with --target) (needs a running worker: npm run worker)
  plan        preflight and the checks before anything changes, then print per instance the exact
              commands a rollout would run, or that it would be left alone (already on the target);
              changes nothing. Checks: target-exists (the registry, asked through the instance's npm,
              or \`openclaw update --dry-run\` has the version), node-engine (its engines.node accepts
              the instance's Node), sticky-routing (runbook rule 1), instance-local-state (rule 2),
              host-worker (a worker polls each host's queue), host-commands (restart/stop/start,
              hooks, npm exist and are executable), disk-space (install and backup fit).
              policy.preflight.warn lists checks that only warn
  start       run the same checks, refuse (exit 1, nothing started or changed) when one fails, else
              start the rollout of the cluster (one at a time per cluster); prints its id and UI link
              --target <version> (default: the inventory's targetVersion)  --by <name>
              An instance that already runs the target, healthy, in traffic, channels ok and with no
              device token mismatch in the last policy.mismatchWindow is verified and left alone
              (no drain, install, restart or rotation); --force redoes it
  status      the rollout's progress: instance, phase, version before → after, sessions left at the
              drain, last check, waiting for whom. --watch refreshes until the rollout ends (in place
              on a terminal; a new table only on change otherwise); --json for scripts
  approve     let a waiting instance rejoin traffic: --instance <id> --approver <name> [--comment <text>]
              Refused at once (exit 1, nothing changes) when that instance is not waiting, the approver
              is not in policy.approvals.approvers, or (four-eyes, the default) started the rollout
  reject      keep a waiting instance out of traffic and stop the rollout (same options; four-eyes
              does not apply: anyone allowed may stop a rollout)
  decide      after an instance's step failed (after its retries; it stays out of traffic, or in
              traffic if it failed after rejoining, and the rollout waits):
              --instance <id> --decision retry|rollback|skip|abort --by <name>
              retry: run the failed step again; rollback: drain it if it had rejoined, reinstall
              the version it ran before, restart, verify, then ask again for approval to rejoin;
              skip: leave it as it is (drained, or in traffic if it had rejoined), flagged, and go
              on with the next instance; abort: stop the rollout there
  pause       stop before the next instance (the current one finishes its turn): --by <name>
  resume      go on after a pause: --by <name>
  abort       cancel the running rollout: --reason <text> --by <name> (both recorded in the rollout
              and its report). An instance drained but not yet changed goes back into traffic; a changed
              one stays drained and is listed as needing attention
${HELP_DEVICE_COMMANDS}

Options:
  --inventory <file>  the cluster inventory (YAML or JSON)
  --json              machine-readable output
  -h, --help          this help

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY override the
inventory's temporal block. OPENCLAW_ROLLOUT_CODEC_KEYS or OPENCLAW_ROLLOUT_CODEC_KEY_FILE encrypt
payloads (the same keys as the workers).`;

export class UsageError extends ConfigurationError {}

export async function connectClient(inventory: Inventory): Promise<{ client: Client; connection: Connection }> {
  const conn = await resolveConnection(inventory.temporal);
  if (conn.payloads.warning) console.error(conn.payloads.warning);
  const connection = await Connection.connect({ ...conn.options, connectTimeout: 10_000 }).catch(async (err: unknown) => {
    throw await connectionError(err, conn);
  });
  return { client: new Client({ connection, namespace: conn.namespace, dataConverter: conn.payloads.dataConverter }), connection };
}

function preflightTable(report: PreflightReport): string {
  const rows = report.instances.map((i) => [
    i.instance,
    i.unchecked ? 'not asked' : i.healthy ? 'healthy' : 'NOT HEALTHY',
    i.version ?? '-',
    i.lb ? `${i.lb.status}, ${i.lb.sessions} sessions` : '-',
    i.unchecked && !i.problems.length ? 'not checked: a host worker is missing (below)' : problemsCell(i.problems, [...(i.checks ?? []), ...(report.cluster ?? [])]),
  ]);
  return formatTable(['instance', 'gateway', 'version', 'load balancer', 'problems'], rows);
}

/** One rollout per cluster: the workflow id derives from the cluster name. */

function uiLink(inventory: Inventory, workflowId: string): string | undefined {
  const base = process.env.TEMPORAL_UI_URL ?? inventory.temporal.uiUrl;
  return base ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(inventory.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}` : undefined;
}

/** Which of the rollout's search attributes the namespace lacks (empty: all registered). */
async function missingSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  return ROLLOUT_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !(name in (customAttributes ?? {})));
}

async function withClient(inventory: Inventory, fn: (client: Client) => Promise<number>): Promise<number> {
  const { client, connection } = await connectClient(inventory);
  try {
    return await fn(client);
  } finally {
    await connection.close();
  }
}

/**
 * The checks before anything changes: workers first (without the central one nothing runs; without a
 * host's, its instances' steps would wait), then the read-only preflight workflow with the target.
 */
async function runPreflight(client: Client, inventory: Inventory, inventoryFile: string, purpose: 'preflight' | 'plan' | 'start', target: string | undefined): Promise<PreflightReport> {
  const workers = await checkWorkers(client, inventory, inventoryFile);
  if (workers.central.status === 'failed') throw new ConfigurationError(`${purpose}: ${workers.central.found} Nothing can run without it: ${workers.central.fix}`);
  if ([...workers.perInstance.values()].some((c) => c.status === 'failed')) return workersOnlyReport(inventory, workers);
  return withWorkerChecks(await runChecks(client, inventory, purpose, target), workers);
}

/** The exact commands a rollout runs per instance (what `plan` prints). */
export function planCommands(inventory: Inventory, target: string): Record<string, string[]> {
  const lb = inventory.loadBalancer;
  const lbCmd = (server: string, state: 'drain' | 'ready') =>
    lb.type === 'haproxy' ? `HAProxy ${lb.socket}: set server ${lb.backend}/${server} state ${state}` : lb.type === 'command' ? (state === 'drain' ? lb.drain : lb.ready).join(' ').replaceAll('{server}', server) : '(no load balancer)';
  const plan: Record<string, string[]> = {};
  for (const i of inventory.instances) {
    const cli = [...i.gateway.cli, ...(i.gateway.profile ? ['--profile', i.gateway.profile] : [])].join(' ');
    const install =
      i.install.type === 'global'
        ? `${i.install.npm.join(' ')} install -g ${i.install.prefix ? `--prefix ${i.install.prefix} ` : ''}openclaw@${target}`
        : i.install.type === 'source'
          ? `${cli} update --yes --json --no-restart --tag ${i.install.tag ?? target}`
          : i.install.command.map((a) => a.replaceAll('{version}', target)).join(' ');
    const doctor = `${cli} doctor --json --non-interactive`;
    // OpenClaw's documented update where the gateway can be stopped and started (see instance-rollout.ts).
    const update = i.install.type === 'global' && canStopAndStart(i)
      ? [
          `${doctor}   (the running release: refuse early)`,
          deriveServiceCommand(i, 'stop')!.join(' '),
          install,
          `${cli} doctor --fix --non-interactive   (the new release: the migrations it requires)`,
          deriveServiceCommand(i, 'start')!.join(' '),
        ]
      : [install, doctor, i.restart ? i.restart.join(' ') : `${cli} gateway restart --json`];
    plan[i.id] = [
      lbCmd(i.lbServer, 'drain'),
      `wait until ${i.lbServer} has 0 sessions (at most ${inventory.policy.drainDeadline / 1000} s)`,
      `${cli} backup create --output <backup dir>/<file> --verify --json   (with the running release; checked, its checksum recorded, for a rollback)`,
      ...update,
      `${cli} gateway status --json --require-rpc   (must be healthy on ${target})`,
      `${cli} channels status --probe --json`,
      ...i.devices.map((d) => `${cli} devices rotate --device ${d.deviceId} --role ${d.role}${d.scopes.map((sc) => ` --scope ${sc}`).join('')} --json`),
      ...i.devices.filter((d) => d.reconnectHook).map((d) => d.reconnectHook!.join(' ')),
      'wait for approveRejoin / rejectRejoin',
      lbCmd(i.lbServer, 'ready'),
      `verify: status, channels probe, no device token mismatch in ${cli} logs --json over ${inventory.policy.mismatchWindow / 1000} s, rotated devices connected`,
    ];
  }
  return plan;
}

/**
 * The instances a rollout to `target` would leave alone, as far as the preflight can tell: healthy on the
 * target and in traffic (the rollout checks channels and the log again before it decides).
 */
export function leftAlone(inventory: Inventory, report: PreflightReport, target: string): Set<string> {
  const inTraffic = (admin: string | undefined) => admin === 'ready' || inventory.loadBalancer.type === 'none';
  return new Set(report.instances.filter((i) => i.healthy && i.version === target && inTraffic(i.lb?.admin)).map((i) => i.instance));
}

/** Terminal details of `run`: whether stdout is a terminal (status --watch redraws in place) and the poll interval. */
export interface RunIo {
  tty?: boolean;
  pollMs?: number;
}

export async function run(argv: string[], out: (s: string) => void = console.log, io: RunIo = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      inventory: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      target: { type: 'string' },
      by: { type: 'string' },
      instance: { type: 'string' },
      approver: { type: 'string' },
      comment: { type: 'string' },
      reason: { type: 'string' },
      watch: { type: 'boolean' },
      wait: { type: 'boolean' },
      decision: { type: 'string' },
      device: { type: 'string' },
      role: { type: 'string' },
      since: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    out(HELP);
    return values.help ? 0 : 2;
  }
  if (!values.inventory) throw new UsageError(`${command}: --inventory <cluster.yaml> is required`);
  const inventory = await loadInventory(values.inventory);
  switch (command) {
    case 'validate': {
      if (values.json) out(JSON.stringify(inventory, null, 2));
      else {
        out(`inventory ok: cluster ${inventory.cluster}, ${inventory.instances.length} instances, load balancer ${inventory.loadBalancer.type}`);
        for (const i of inventory.instances) out(`  ${i.id}: lb server ${i.lbServer}, install ${i.install.type}, ${i.devices.length} devices${i.host ? `, host ${i.host}` : ''}`);
      }
      return 0;
    }
    case 'preflight':
      return withClient(inventory, async (client) => {
        const report = await runPreflight(client, inventory, values.inventory!, 'preflight', values.target);
        if (values.json) out(JSON.stringify(report, null, 2));
        else {
          out(preflightTable(report));
          out(`\nchecks before anything changes${values.target ? ` (target ${values.target})` : ''}:`);
          out(checksTable(report, inventory));
        }
        return report.ok ? 0 : 1;
      });
    case 'plan':
      return withClient(inventory, async (client) => {
        const target = values.target ?? inventory.targetVersion ?? '<target>';
        const report = await runPreflight(client, inventory, values.inventory!, 'plan', target === '<target>' ? undefined : target);
        const alone = values.force ? new Set<string>() : leftAlone(inventory, report, target);
        const plan = planCommands(inventory, target);
        if (values.json) out(JSON.stringify({ preflight: report, leftAlone: [...alone], plan }, null, 2));
        else {
          out(preflightTable(report));
          out(`\nchecks before anything changes (target ${target}):`);
          out(checksTable(report, inventory));
          const warnings = warningLines(report);
          if (warnings.length) out(`\nwarnings (policy.preflight.warn: start goes on with them):\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
          if (!report.ok) out(`\nstart would refuse:\n${problemLines(report).map((p) => `  - ${p}`).join('\n')}`);
          for (const [instance, commands] of Object.entries(plan)) {
            out(`\n${instance}:`);
            if (alone.has(instance)) {
              out(`  left alone: already runs ${target}, healthy and in traffic. At start it is verified again (channels, no device token mismatch in the last ${inventory.policy.mismatchWindow / 1000} s) and nothing else runs; start --force redoes it.`);
              continue;
            }
            const jump = report.instances.find((i) => i.instance === instance)?.jump;
            if (jump) out(`  ${jump}`);
            commands.forEach((c, i) => out(`  ${i + 1}. ${c}`));
          }
        }
        return report.ok ? 0 : 1;
      });
    case 'start': {
      const target = values.target ?? inventory.targetVersion;
      if (!target) throw new UsageError('start: say which version to roll out: --target <version> (or targetVersion in the inventory)');
      if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(target)) throw new UsageError(`start: --target "${target}" is not a version (e.g. 2026.9.6)`);
      return withClient(inventory, async (client) => {
        const id = rolloutWorkflowId(inventory.cluster);
        const missing = await missingSearchAttributes(client, inventory.temporal.namespace);
        if (missing.length) {
          out(`warning: search attributes ${missing.join(', ')} are not registered in namespace ${inventory.temporal.namespace}; the rollout runs without them (no "OpenclawPhase = 'AwaitingApproval'" filter). Register them once with:`);
          for (const c of registerCommands(missing, inventory.temporal.namespace)) out(`  ${c}`);
        }
        const searchAttributes = missing.length === 0;
        // The checks before anything changes: a failed one refuses here, before any drain.
        const report = await runPreflight(client, inventory, values.inventory!, 'start', target);
        if (!report.ok) {
          out(`start refused: the checks before anything changes failed for the rollout of ${inventory.cluster} to ${target}; nothing was started or changed.`);
          for (const p of problemLines(report)) out(`  - ${p}`);
          out(`See every check with: npm run starter -- plan --inventory ${values.inventory} --target ${target}`);
          return 1;
        }
        for (const w of warningLines(report)) out(`warning (policy.preflight.warn): ${w}`);
        try {
          await client.workflow.start('clusterRollout', {
            taskQueue: inventory.temporal.taskQueue,
            workflowId: id,
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            // Shown by the Web UI under Summary / Details.
            staticSummary: `Rollout of ${inventory.cluster} to ${target}, started by ${values.by ?? process.env.USER ?? 'unknown'}`,
            staticDetails: `Instances in order: ${inventory.instances.map((i) => i.id).join(', ')} (batch size ${inventory.policy.batchSize}). Approve each from Send a Signal → approveRejoin, or \`npm run starter -- approve\`.`,
            ...(searchAttributes ? { typedSearchAttributes: [{ key: CLUSTER_KEY, value: inventory.cluster }, { key: PHASE_KEY, value: 'Preflight' }] } : {}),
            args: [{ inventory, targetVersion: target, startedBy: values.by ?? process.env.USER ?? 'unknown', ...(searchAttributes ? { searchAttributes } : {}), ...(values.force ? { force: true } : {}) }],
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new ConfigurationError(`a rollout of cluster ${inventory.cluster} is already running: ${id}. Follow it with \`status\`, or stop it with \`abort\` first.`);
          }
          throw err;
        }
        out(`started rollout ${id}: ${inventory.instances.length} instances to ${target}`);
        const ui = uiLink(inventory, id);
        if (ui) out(`Temporal Web UI: ${ui}`);
        out(`approve each instance when asked: npm run starter -- approve --inventory ${values.inventory} --instance <id> --approver <you>`);
        if (values.wait) {
          const report = (await client.workflow.getHandle(id).result()) as ClusterRolloutReport;
          out(`rollout ended: ${report.outcome}`);
          return report.outcome === 'done' ? 0 : 1;
        }
        return 0;
      });
    }
    case 'status':
      return withClient(inventory, async (client) => {
        const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
        const show = watchWriter(out, values.watch === true && !values.json && (io.tty ?? process.stdout.isTTY === true));
        for (;;) {
          let progress: RolloutProgress;
          let running: boolean;
          try {
            // Status first: when it says ended, the progress read after it is the final one.
            running = (await handle.describe()).status.name === 'RUNNING';
            progress = await handle.query(progressQuery);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) throw new ConfigurationError(`no rollout of cluster ${inventory.cluster} was found (${rolloutWorkflowId(inventory.cluster)})`);
            throw err;
          }
          if (values.json) out(JSON.stringify(progress, null, values.watch ? undefined : 2));
          else if (values.watch) show(progressTable(progress, { approvals: inventory.policy.approvals, startedBy: progress.startedBy }));
          else out(progressTable(progress, { approvals: inventory.policy.approvals, startedBy: progress.startedBy }));
          if (!values.watch || !running) return 0;
          await new Promise((r) => setTimeout(r, io.pollMs ?? 3000));
        }
      });
    case 'approve':
    case 'reject': {
      const checked = checkDecision({ instance: values.instance, approver: values.approver, ...(values.comment ? { comment: values.comment } : {}) });
      if (!checked.ok) throw new UsageError(`${command}: ${checked.problem.replace(/^instance:/, '--instance:').replace(/^approver:/, '--approver:')}`);
      if (!inventory.instances.some((i) => i.id === checked.value.instance)) {
        throw new UsageError(`${command}: unknown instance "${checked.value.instance}" (this inventory has ${inventory.instances.map((i) => i.id).join(', ')})`);
      }
      return withClient(inventory, async (client) => {
        const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
        // An Update, not a signal: the rollout checks it (waiting? allowed approver? four-eyes?) and the
        // operator learns at once when it is refused. Nothing changes on a refusal.
        try {
          const receipt = await handle.executeUpdate(command === 'approve' ? approveRejoinUpdate : rejectRejoinUpdate, { args: [checked.value] });
          out(`${command === 'approve' ? 'approval' : 'rejection'} of ${receipt.instance} by ${receipt.approver} accepted by ${handle.workflowId} (delivered to ${receipt.deliveredTo})`);
          return 0;
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            out(`${command} refused by ${handle.workflowId}: ${err.cause?.message ?? err.message}. Nothing was changed.`);
            return 1;
          }
          if (err instanceof WorkflowNotFoundError) throw new ConfigurationError(`no rollout of cluster ${inventory.cluster} is running (${handle.workflowId})`);
          throw err;
        }
      });
    }
    case 'decide': {
      const checked = checkFailureDecision({ instance: values.instance, decision: values.decision, by: values.by, ...(values.comment ? { comment: values.comment } : {}) });
      if (!checked.ok) throw new UsageError(`decide: ${checked.problem.replace(/^(instance|decision|by):/, '--$1:')}`);
      if (!inventory.instances.some((i) => i.id === checked.value.instance)) {
        throw new UsageError(`decide: unknown instance "${checked.value.instance}" (this inventory has ${inventory.instances.map((i) => i.id).join(', ')})`);
      }
      return withClient(inventory, async (client) => {
        const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
        try {
          const receipt = await handle.executeUpdate(decideFailureUpdate, { args: [checked.value] });
          out(`${receipt.decision} for ${receipt.instance} by ${checked.value.by} accepted (delivered to ${receipt.deliveredTo})`);
          return 0;
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            out(`decide refused by ${handle.workflowId}: ${err.cause?.message ?? err.message}. Nothing was changed.`);
            return 1;
          }
          if (err instanceof WorkflowNotFoundError) throw new ConfigurationError(`no rollout of cluster ${inventory.cluster} is running (${handle.workflowId})`);
          throw err;
        }
      });
    }
    case 'pause':
    case 'resume': {
      const checked = checkPauseRequest({ by: values.by ?? process.env.USER, ...(values.comment ? { comment: values.comment } : {}) });
      if (!checked.ok) throw new UsageError(`${command}: ${checked.problem.replace(/^by:/, '--by:')}`);
      return withClient(inventory, async (client) => {
        const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
        await handle.signal(command === 'pause' ? pauseRollout : resumeRollout, checked.value);
        out(command === 'pause'
          ? `pause requested by ${checked.value.by}: ${handle.workflowId} stops before its next instance (the current one finishes its turn)`
          : `resume requested by ${checked.value.by}: ${handle.workflowId} goes on with its next instance`);
        return 0;
      });
    }
    case 'abort': {
      if (!values.reason?.trim()) throw new UsageError('abort: say why with --reason <text> (recorded in the rollout and its report, with --by)');
      const checked = checkAbortRequest({ by: values.by ?? process.env.USER ?? '', reason: values.reason });
      if (!checked.ok) throw new UsageError(`abort: ${checked.problem.replace(/^(by|reason):/, '--$1:')}`);
      return withClient(inventory, async (client) => {
        const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
        try {
          // Recorded first (a cancellation carries no reason), then the cancellation itself.
          await handle.signal(abortReason, checked.value);
          await handle.cancel();
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new ConfigurationError(`no rollout of cluster ${inventory.cluster} is running (${handle.workflowId})`);
          throw err;
        }
        out(`cancellation of ${handle.workflowId} requested by ${checked.value.by} (${checked.value.reason}): an instance drained but not yet changed goes back into traffic; a changed one stays drained and is listed as needing attention (status shows it)`);
        return 0;
      });
    }
    // Device commands (diagnose, emergency repair): src/cli/commands/repair.ts.
    case 'repair':
    case 'approve-repair':
    case 'reject-repair':
    case 'diagnose':
      return runDeviceCommand(command, inventory, { ...values, inventory: values.inventory }, { withClient, uiLink, rolloutWorkflowId, usageError: (m) => new UsageError(m), out });
    default:
      throw new UsageError(`unknown command "${command}" (see --help)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof RolloutError) {
        console.error(`error: ${err.message}`);
        process.exit(err instanceof ValidationError || err instanceof UsageError ? 2 : 1);
      }
      if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`error: ${err.message} (see --help)`);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
