/**
 * Section 4, the real bed: one gateway (own bed under .bed/bench, free ports) with the real node host
 * paired to it, rolled one release forward (versions.sh FROM → TARGET) by the real workflows and real
 * activities, approved as soon as it waits; once with the bed's `staged` install and once as a `global`
 * npm install into the prefix the gateway runs from (time-out-of-traffic.ts turns the steps into the
 * time out of traffic against its floor). Every activity call is timed (start, end, workflow), so the
 * report shows where the engine waits on OpenClaw CLI calls and which run in parallel. Then, in the same
 * run, the steps no rollout can avoid are measured on their own: `npm i -g openclaw@TARGET` into a copy
 * of the FROM prefix, the restart command until `/readyz` answers, and one `devices rotate`.
 */
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createActivities } from '../src/activities/index.js';
import * as oc from '../src/activities/openclaw/index.js';
import { loadInventory } from '../src/inventory-file.js';
import { rolloutWorkflowId } from '../src/shared/ids.js';
import type { ClusterRolloutReport } from '../src/workflows/cluster-rollout.js';
import { approveRejoin, instanceProgressQuery, type StepRecord } from '../src/shared/messages/rollout.js';
import { startBed, stopBed } from '../test/bed/bed.js';
import { writeInventory } from '../test/bed/bed-inventory.js';
import { httpOk, sleep } from '../test/bed/probes.js';
import { pairNodeHost } from '../test/bed/clients.js';
import { Supervisor } from '../test/bed/supervisor.js';
import { openclawTemplate, projectRoot } from '../test/bed/tools.js';
import { Client, Connection } from '@temporalio/client';
import { outOfTrafficFigures, type OutOfTrafficFigures } from './time-out-of-traffic.js';

export interface ActivityCall {
  activity: string;
  workflow: string;
  startMs: number;
  durationMs: number;
  /** Other calls running at the same time (by index in the list). */
  parallelWith: number[];
}

export interface RealBedResult {
  installType: 'staged' | 'global';
  fromVersion: string;
  targetVersion: string;
  rolloutWallMs: number;
  /** Time the instance waited for the (automatic) approval. */
  approvalWaitMs: number;
  /** The policy's mismatch window (a deliberate wait after rejoin). */
  mismatchWindowMs: number;
  steps: { step: string; startMs: number; durationMs: number; detail?: string }[];
  phases: { phase: string; durationMs: number }[];
  calls: ActivityCall[];
  unavoidable: { installMs: number; restartToReadyMs: number; rotationMs: number; sumMs: number };
  /** Rollout wall time minus approval wait and mismatch window, over the unavoidable sum. */
  ratioToUnavoidable: number;
  /** The instance's time out of traffic and wall time against their floors. */
  instance: OutOfTrafficFigures;
}

const PHASE_OF: [RegExp, string][] = [
  [/^(stage|warm npm)/, 'stage / warm the cache (in traffic)'],
  [/^(read version before|drain|wait for sessions)/, 'drain'],
  [/^(install|switch|doctor|stop gateway)/, 'install + doctor'],
  [/^start gateway/, 'restart'],
  [/^restart/, 'restart'],
  [/^verify (gateway|channels)/, 'verify new version'],
  [/after rejoin|^device .* connected again/, 'verify after rejoin'],
  [/^(rotate|reconnect hook)/, 'rotate + reconnect hook'],
  [/^rejoin/, 'rejoin'],
];

export async function measureRealBed(opts: {
  log: (s: string) => void;
  installType: 'staged' | 'global';
}): Promise<RealBedResult> {
  const dir = join(projectRoot, '.bed', `bench-${opts.installType}`);
  const info = await startBed({ dir, gateways: 1, log: (l) => opts.log(`[bed] ${l}`) });
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  try {
    const sup = new Supervisor(info.dir);
    const node = await pairNodeHost(info);
    await writeInventory(info, [
      {
        instance: node.home.id,
        deviceId: node.deviceId,
        role: 'node',
        scopes: [],
        name: 'node-1',
        reconnectHook: sup.ctlArgv('restart', 'node-1'),
      },
    ]);
    const inventory = await loadInventory(info.inventoryPath);
    inventory.policy.drainDeadline = 5000;
    inventory.policy.mismatchWindow = 5000;
    const instance = inventory.instances[0]!;
    if (opts.installType === 'global' && instance.install.type === 'staged')
      // The same gateway, its install as a global npm prefix: the one it runs from (<root>/current).
      instance.install = { type: 'global', npm: instance.install.npm, prefix: info.gateways[0]!.prefix };

    // The real activities, each call timed.
    const origin = Date.now();
    const raw: { activity: string; workflow: string; start: number; end: number }[] = [];
    const timed = Object.fromEntries(
      Object.entries(createActivities()).map(([name, fn]) => [
        name,
        async (...args: unknown[]) => {
          const start = Date.now();
          try {
            return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
          } finally {
            raw.push({
              activity: name,
              workflow: Context.current().info.workflowExecution?.workflowId ?? '',
              start,
              end: Date.now(),
            });
          }
        },
      ]),
    );
    connection = await NativeConnection.connect({ address: info.temporal.address });
    const worker = await Worker.create({
      connection,
      namespace: info.temporal.namespace,
      taskQueue: inventory.temporal.taskQueue,
      activities: timed,
      workflowsPath: join(projectRoot, 'src/workflows/index.ts'),
    });
    const running = worker.run();
    clientConnection = await Connection.connect({ address: info.temporal.address });
    const client = new Client({ connection: clientConnection, namespace: info.temporal.namespace });
    const rolloutId = rolloutWorkflowId(inventory.cluster);
    let report: ClusterRolloutReport;
    let approvalWaitMs = 0;
    let rolloutWallMs: number;
    try {
      opts.log(
        `[bed] rolling ${instance.id} from ${info.fromVersion} to ${info.targetVersion} (${instance.install.type} install)`,
      );
      const started = Date.now();
      const handle = await client.workflow.start('clusterRollout', {
        taskQueue: inventory.temporal.taskQueue,
        workflowId: rolloutId,
        args: [{ inventory, targetVersion: info.targetVersion, startedBy: 'bench-starter' }],
      });
      const child = client.workflow.getHandle(`${rolloutId}/${instance.id}`);
      for (;;) {
        const phase = await child
          .query(instanceProgressQuery)
          .then((p) => p.phase)
          .catch(() => 'Pending');
        if (phase === 'AwaitingApproval') break;
        if (phase === 'Failed')
          throw new Error(
            `the bed rollout failed: ${JSON.stringify((await child.query(instanceProgressQuery)).steps.at(-1))}`,
          );
        if (Date.now() - started > 15 * 60_000)
          throw new Error('the bed rollout did not reach AwaitingApproval within 15 min');
        await sleep(250);
      }
      await handle.signal(approveRejoin, {
        instance: instance.id,
        approver: 'bench',
        comment: 'automatic (benchmark)',
      });
      report = (await handle.result()) as ClusterRolloutReport;
      rolloutWallMs = Date.now() - started;
      if (report.outcome !== 'done') throw new Error(`the bed rollout ended ${report.outcome}`);
    } finally {
      worker.shutdown();
      await running;
    }
    const steps: StepRecord[] = report.instances[0]!.steps;
    const t = (iso: string) => Date.parse(iso) - origin;
    const lastBeforeGate = steps.findIndex((s) => s.step === 'rejoin') - 1;
    if (steps[lastBeforeGate] && report.instances[0]!.decision)
      approvalWaitMs = Date.parse(report.instances[0]!.decision.at) - Date.parse(steps[lastBeforeGate].endedAt!);

    // The unavoidable steps, alone.
    opts.log('[bed] measuring npm install, restart to /readyz and one rotation on their own');
    const scratch = join(dir, 'install-alone');
    await execa('cp', ['-al', openclawTemplate(info.fromVersion), scratch]);
    let at = Date.now();
    // The activity's own install function, into a copy of the FROM prefix (same npm, same environment).
    await oc.installVersion(
      instance.gateway,
      { type: 'global', npm: 'npm' in instance.install ? instance.install.npm : ['npm'], prefix: scratch },
      info.targetVersion,
      { timeoutMs: 15 * 60_000 },
    );
    const installMs = Date.now() - at;
    await rm(scratch, { recursive: true, force: true });
    at = Date.now();
    await sup.ctl('restart', instance.id);
    while (!(await httpOk(`${info.gateways[0]!.httpUrl}/readyz`))) await sleep(200);
    const restartToReadyMs = Date.now() - at;
    at = Date.now();
    await oc.devicesRotate(instance.gateway, instance.devices[0]!, { timeoutMs: 120_000 });
    const rotationMs = Date.now() - at;
    const sumMs = installMs + restartToReadyMs + rotationMs;

    const calls: ActivityCall[] = raw
      .sort((a, b) => a.start - b.start)
      .map((c, i, all) => ({
        activity: c.activity,
        workflow: c.workflow.replace(`${rolloutId}/`, '').replace(rolloutId, 'rollout'),
        startMs: c.start - origin,
        durationMs: c.end - c.start,
        parallelWith: all.flatMap((o, j) => (j !== i && o.start < c.end && c.start < o.end ? [j] : [])),
      }));
    const phases = new Map<string, number>();
    for (const s of steps) {
      const phase = PHASE_OF.find(([re]) => re.test(s.step))?.[1] ?? s.step;
      phases.set(phase, (phases.get(phase) ?? 0) + (Date.parse(s.endedAt!) - Date.parse(s.startedAt)));
    }
    const inSteps = [...phases.values()].reduce((a, b) => a + b, 0);
    const preflight = raw.filter((c) => c.workflow.endsWith('/preflight'));
    const finalCheck = raw.filter((c) => c.workflow.endsWith('/final-check'));
    const span = (cs: typeof raw) =>
      cs.length ? Math.max(...cs.map((c) => c.end)) - Math.min(...cs.map((c) => c.start)) : 0;
    const phaseList = [
      { phase: 'preflight (child workflow)', durationMs: span(preflight) },
      ...[...phases].map(([phase, durationMs]) => ({ phase, durationMs })),
      { phase: 'approval wait (automatic)', durationMs: approvalWaitMs },
      { phase: 'mismatch window (policy sleep)', durationMs: inventory.policy.mismatchWindow },
      { phase: 'final check (child workflow)', durationMs: span(finalCheck) },
    ];
    const accounted = span(preflight) + inSteps + approvalWaitMs + inventory.policy.mismatchWindow + span(finalCheck);
    phaseList.push({
      phase: 'engine (between steps, workflow tasks, signals)',
      durationMs: Math.max(0, rolloutWallMs - accounted),
    });
    return {
      installType: opts.installType,
      fromVersion: info.fromVersion,
      targetVersion: info.targetVersion,
      rolloutWallMs,
      approvalWaitMs,
      mismatchWindowMs: inventory.policy.mismatchWindow,
      steps: steps.map((s) => ({
        step: s.step,
        startMs: t(s.startedAt),
        durationMs: Date.parse(s.endedAt!) - Date.parse(s.startedAt),
        ...(s.detail ? { detail: s.detail } : {}),
      })),
      phases: phaseList,
      calls,
      unavoidable: { installMs, restartToReadyMs, rotationMs, sumMs },
      ratioToUnavoidable: (rolloutWallMs - approvalWaitMs - inventory.policy.mismatchWindow) / sumMs,
      instance: outOfTrafficFigures(steps, approvalWaitMs, {
        installMs,
        restartToReadyMs,
        rotationMs,
        devices: instance.devices.length,
      }),
    };
  } finally {
    await clientConnection?.close();
    await connection?.close();
    await stopBed(dir);
  }
}
