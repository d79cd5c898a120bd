/**
 * Section 6, older releases: each of versions.sh's OPENCLAW_OLD_FROM_VERSIONS (2026.7.35, 2026.4.1)
 * jumped to the target on the real bed as a rollout, with no manual step but the approval (sent as soon
 * as the instance waits). One small bed (its own dir: $OPENCLAW_ROLLOUT_BED_DIR or .bed/bench-old), and
 * per release an extra gateway (test/bed/extra-gateway.ts: the config its own schema accepts) with a
 * client paired the way that release pairs and held connected through HAProxy. Recorded per jump: did it
 * complete, the window (drain → rejoin done, approval wait out), which checks fell back and why (what
 * the release's --help says, as `plan` lists it, and the steps' own details), the client back on the target and the device token mismatches after it.
 * Not in the suite: each jump costs ~3-5 min of the CI's budget (the suite's 04f runs 2026.8.2).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workflowsPath } from '../src/worker.js';
import { quietLogger } from '../test/helpers/quiet-logger.js';
import * as oc from '../src/activities/openclaw/index.js';
import { releaseFallbacks } from '../src/activities/openclaw/release-fallbacks.js';
import { loadInventory } from '../src/inventory-file.js';
import { rolloutWorkflowId } from '../src/shared/ids.js';
import { approveRejoin, instanceProgressQuery, type StepRecord } from '../src/shared/messages/rollout.js';
import type { ClusterRolloutReport } from '../src/workflows/cluster-rollout.js';
import type { InstanceRolloutResult } from '../src/workflows/instance/types.js';
import { startBed, stopBed, type BedInfo } from '../test/bed/bed.js';
import {
  clientProtocolsFor,
  gatewayAccess,
  OPERATOR_SCOPES,
  pairStraightTo,
  sharedToken,
} from '../test/bed/clients.js';
import { startWorker } from '../test/bed/context.js';
import { removeExtraGateway, startExtraGateway, writeExtraInventory } from '../test/bed/extra-gateway.js';
import { sleep } from '../test/bed/probes.js';
import { oldFromVersions, openclawTemplate, projectRoot } from '../test/bed/tools.js';
import { HeldConnection } from '../test/bed/ws-client.js';

export interface OldReleaseJump {
  fromVersion: string;
  targetVersion: string;
  completed: boolean;
  /** The instance's outcome (done, rolled-back, ...), or why the jump did not run. */
  outcome: string;
  error?: string;
  /** How the release pairs a new device (release-config.ts) and the protocol range its client offers. */
  pairing?: string;
  clientProtocols?: string;
  /** Start of the rollout → its report. */
  rolloutWallMs?: number;
  /** Drain call → rejoin done, the approval wait taken out. */
  windowMs?: number;
  /** Checks the rollout ran differently on this release: the step and its own detail. */
  fallbacks: { step: string; detail: string }[];
  /** The client connected again on the target after the jump. */
  clientBack?: boolean;
  /** Device token mismatches logged by the target in the 10 s after the client was back. */
  mismatches?: number;
}

/** A step's detail that says a check was replaced or left out because of the release. */
const FALLBACK = /not checked|not-checked|fell back|falls back|instead|skipped|lacks|has no|without|older release/i;

export async function measureOldReleases(opts: {
  log: (s: string) => void;
  versions?: string[];
}): Promise<OldReleaseJump[]> {
  const list = opts.versions ?? oldFromVersions();
  const missing = list.filter((v) => !templateExists(v));
  const dir = process.env.OPENCLAW_ROLLOUT_BED_DIR ?? join(projectRoot, '.bed', 'bench-old');
  const results: OldReleaseJump[] = missing.map((v) =>
    notRun(v, 'not installed: run `bash scripts/setup.sh --with-old-releases`'),
  );
  const runnable = list.filter((v) => !missing.includes(v));
  if (!runnable.length) return results;
  const info = await startBed({ dir, gateways: 1, log: (l) => opts.log(`[bed] ${l}`) }).catch((err: Error) => err);
  if (info instanceof Error) return [...results, ...runnable.map((v) => notRun(v, `bed: ${info.message}`))];
  try {
    // The workflows bundled once, as the e2e setup does (startWorker runs this bundle).
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    await writeFile(join(dir, 'workflow-bundle.js'), bundle.code);
    for (const version of runnable) results.push(await jumpOnce(info, version, opts.log));
  } finally {
    await stopBed(dir);
  }
  return list.map((v) => results.find((r) => r.fromVersion === v)!);
}

function templateExists(version: string): boolean {
  try {
    openclawTemplate(version);
    return true;
  } catch {
    return false;
  }
}

const notRun = (fromVersion: string, why: string): OldReleaseJump => ({
  fromVersion,
  targetVersion: '',
  completed: false,
  outcome: 'not run',
  error: why,
  fallbacks: [],
});

/** One jump: extra gateway on `version`, a client paired and held, the rollout, the figures; cleaned up. */
async function jumpOnce(info: BedInfo, version: string, log: (s: string) => void): Promise<OldReleaseJump> {
  const id = `gw-from-${version.replace(/\./g, '-')}`;
  const result: OldReleaseJump = { ...notRun(version, ''), targetVersion: info.targetVersion, outcome: 'failed' };
  let held: HeldConnection | undefined;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    const extra = await startExtraGateway(info, { id, version, log: (l) => log(`[bed] ${l}`) });
    const protocols = await clientProtocolsFor(info, extra.gateway);
    const client = await pairStraightTo(info, extra.gateway, `${id}-client`, process.platform, protocols);
    result.pairing = extra.gateway.pairing;
    result.clientProtocols = protocols ? `${protocols.min}-${protocols.max}` : '4';
    held = new HeldConnection({
      url: extra.routeUrl(`${id}-client`),
      identity: client,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      sharedToken: await sharedToken(info),
      reconnectMaxMs: 2000,
      ...(protocols ? { protocols } : {}),
    });
    if ((await held.start()).type !== 'hello') throw new Error(`the ${version} client was not let in through HAProxy`);
    // What the plan says falls back on this release (its own --help), before anything runs.
    const planned = await releaseFallbacks(gatewayAccess(extra.gateway), { timeoutMs: 60_000 });
    const device = {
      instance: id,
      deviceId: client.deviceId,
      role: 'operator' as const,
      scopes: OPERATOR_SCOPES,
      name: 'client',
    };
    const inventory = await loadInventory(await writeExtraInventory(info, extra, [device]));
    inventory.policy.drainDeadline = 5000;
    inventory.policy.mismatchWindow = 5000;
    worker = await startWorker(info, inventory.temporal.taskQueue);
    log(`[old] rolling ${id} from ${version} to ${info.targetVersion}`);
    const started = Date.now();
    const rolloutId = rolloutWorkflowId(inventory.cluster);
    const handle = await worker.client.workflow.start('clusterRollout', {
      taskQueue: inventory.temporal.taskQueue,
      workflowId: rolloutId,
      args: [{ inventory, targetVersion: info.targetVersion, startedBy: 'bench-old-releases' }],
    });
    const child = worker.client.workflow.getHandle(`${rolloutId}/${id}`);
    const approvedAt = await approveWhenWaiting(child, handle, id, started);
    const report = (await handle.result()) as ClusterRolloutReport;
    result.rolloutWallMs = Date.now() - started;
    const slot = report.instances[0] as InstanceRolloutResult;
    result.outcome = slot.outcome;
    result.completed = slot.outcome === 'done';
    result.fallbacks = [
      ...planned.fallbacks.map((f) => ({ step: f.check, detail: f.instead })),
      ...fallbacksOf(slot.steps),
    ];
    result.windowMs = windowOf(slot.steps, approvedAt);
    if (!result.completed)
      result.error = `ended ${slot.outcome}: ${JSON.stringify(slot.steps.filter((s) => s.status === 'failed').at(-1) ?? {})}`;
    const access = gatewayAccess(extra.gateway);
    result.clientBack = await clientBack(access, client.deviceId);
    const since = Date.now();
    await sleep(10_000);
    result.mismatches = (await oc.countTokenMismatches(access, { sinceMs: since }, { timeoutMs: 60_000 })).count;
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await held?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await removeExtraGateway(info, id).catch(() => undefined);
  }
  log(`[old] ${version} → ${info.targetVersion}: ${result.outcome}${result.error ? ` (${result.error})` : ''}`);
  return result;
}

type Handle = Awaited<ReturnType<typeof startWorker>>['client']['workflow'] extends {
  getHandle: (id: string) => infer H;
}
  ? H
  : never;

/** Approves the instance as soon as it waits; fails when it fails first. Returns when approval was sent. */
async function approveWhenWaiting(child: Handle, rollout: Handle, id: string, started: number): Promise<number> {
  for (;;) {
    const progress = await child.query(instanceProgressQuery).catch(() => undefined);
    if (progress?.phase === 'AwaitingApproval') break;
    if (progress?.phase === 'Failed')
      throw new Error(
        `the rollout failed: ${JSON.stringify(progress.steps.filter((s) => s.status === 'failed').at(-1))}`,
      );
    if (Date.now() - started > 15 * 60_000) throw new Error('the instance did not wait for approval within 15 min');
    await sleep(500);
  }
  await rollout.signal(approveRejoin, { instance: id, approver: 'bench', comment: 'automatic (older releases)' });
  return Date.now();
}

export function fallbacksOf(steps: StepRecord[]): { step: string; detail: string }[] {
  return steps
    .filter((s) => s.status === 'skipped' || (s.detail && FALLBACK.test(s.detail)))
    .map((s) => ({ step: s.step, detail: s.detail ?? s.status }));
}

/** Drain call → rejoin done, minus the approval wait (the gate's step before the rejoin → approval sent). */
function windowOf(steps: StepRecord[], approvedAt: number): number | undefined {
  const drain = steps.find((s) => s.id === 'drain');
  const rejoin = steps.find((s) => s.id === 'rejoin');
  if (!drain || !rejoin?.endedAt) return undefined;
  const beforeGate = steps[steps.indexOf(rejoin) - 1];
  const wait = beforeGate?.endedAt ? Math.max(0, approvedAt - Date.parse(beforeGate.endedAt)) : 0;
  return Date.parse(rejoin.endedAt) - Date.parse(drain.startedAt) - wait;
}

async function clientBack(access: ReturnType<typeof gatewayAccess>, deviceId: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const list = await oc.devicesList(access, { timeoutMs: 60_000 }).catch(() => undefined);
    if (list?.paired.find((d) => d.deviceId === deviceId)?.connected) return true;
    await sleep(2000);
  }
  return false;
}
