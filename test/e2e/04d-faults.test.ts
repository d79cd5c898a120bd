/**
 * Fault injection on the real bed: one instance (the node host's home gateway) rolled towards the target
 * release by real worker processes, with, in order:
 *   1. HAProxy's admin socket gone when the drain runs → retries, then the operator is asked; the socket
 *      comes back and `decide retry` drains;
 *   2. the worker SIGKILLed (its whole process group) during the staging's npm install (before the
 *      drain, in traffic: the next worker stages again, harmlessly) and during the drain wait, a new
 *      worker started each time;
 *   3. a check that fails after the new release started (it migrated the state to a newer schema when it
 *      started, which the old release refuses): the channels probe says the gateway is unreachable →
 *      the instance stays drained, the operator is asked; the worker is killed while it waits;
 *   4. `decide rollback` while the backup taken before the update is missing → the rollback fails at its
 *      backup check, nothing is stopped or moved, the migrated state is still in place; the archive comes
 *      back and `decide retry` restores it: stop, restore (the migrated state moved aside, kept),
 *      current switched back, the old release's database preflight says exact, doctor, start;
 *   5. the Temporal dev server restarted (same SQLite file) during the rollback's doctor;
 *   6. the worker killed during the start, during the token rotation, during the approval wait, and
 *      right after the approval (the rejoin);
 * and asserts the end an operator checks: the rollout completed (partial: rolled back), the instance
 * healthy, in traffic, on the version it ran before and on its pre-upgrade state, the rotated node host
 * paired and connected, no device token mismatch, every decision recorded with who sent it, and HAProxy
 * never showing more than one server out of traffic.
 * Rolled back to the from-release, the bed stays as 05-rollout expects it.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { liveProgress } from '../../src/cli/live-progress.js';
import { progressQuery, type InstancePhase, type RolloutProgress } from '../../src/shared/messages/rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { sleep } from '../bed/probes.js';
import { bed, deviceNamed } from '../bed/context.js';
import { haproxySampler } from '../bed/haproxy-sampler.js';
import { saveHistories } from '../bed/histories.js';
import { Supervisor } from '../bed/supervisor.js';
import { projectRoot } from '../bed/tools.js';
import { pollUntil } from '../bed/wait.js';
import { WorkerProcess } from '../bed/worker-process.js';
import { starterCli } from '../bed/starter.js';

let info: BedInfo;
let inventory: Inventory;
let client: Client;
let connection: Connection;
const log: string[] = [];
const note = (s: string) => log.push(`${new Date().toISOString().slice(11, 19)} ${s}`);

beforeAll(async () => {
  ({ info, inventory } = await bed());
  connection = await Connection.connect({ address: info.temporal.address });
  client = new TemporalClient({ connection, namespace: info.temporal.namespace });
});
afterAll(async () => {
  await connection?.close();
  console.log(`fault test timeline:\n${log.join('\n')}`);
});

/** Retries a call while the Temporal server is away (it is restarted in this test). */
async function tolerant<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

const waitUntil = <T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5 * 60_000,
  pollMs = 300,
): Promise<T> => pollUntil(what, probe, timeoutMs, pollMs);

/** The instance's slot in the rollout's progress, once `pred` holds. */
function instanceWhen(
  handle: WorkflowHandle,
  id: string,
  what: string,
  pred: (slot: RolloutProgress['instances'][number]) => boolean,
  timeoutMs?: number,
) {
  return waitUntil(
    what,
    async () => {
      const p = await liveProgress(handle);
      const slot = p.instances.find((i) => i.instance === id);
      return slot && pred(slot) ? slot : undefined;
    },
    timeoutMs,
  );
}
const inPhase = (handle: WorkflowHandle, id: string, phase: InstancePhase, timeoutMs?: number) =>
  instanceWhen(handle, id, `${id} in phase ${phase}`, (s) => s.phase === phase, timeoutMs);

/** Waits until a worker has started activity `type` in workflow `workflowId` (the moment to kill it). */
function activityRunning(workflowId: string, type: string, timeoutMs?: number) {
  return waitUntil(
    `activity ${type} running in ${workflowId}`,
    async () => {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.raw.pendingActivities?.some((a) => a.activityType?.name === type && Number(a.state) === 2 /* STARTED */);
    },
    timeoutMs,
    200,
  );
}

it(
  'survives worker kills, a Temporal restart, a load-balancer outage and a failed restart, and rolls back on decision',
  async () => {
    const { instance, device } = deviceNamed(inventory, 'node-1');
    const faults = join(info.dir, 'faults');
    await rm(faults, { recursive: true, force: true });
    await mkdir(faults, { recursive: true });
    const probeFlag = join(faults, `channels-down-${instance.id}`);
    const downProbe = join(projectRoot, 'test/fixtures/openclaw/channels-status.down.json');
    const socketLink = join(faults, 'haproxy-admin.sock');
    await symlink(info.haproxy.socket, socketLink);
    const file = join(info.dir, 'cluster-faults.yaml');
    const cluster = 'bed-faults';
    await writeFile(
      file,
      toYaml({
        cluster,
        temporal: { ...inventory.temporal, taskQueue: 'faults' },
        loadBalancer: { type: 'haproxy', socket: socketLink, backend: info.haproxy.backend },
        instances: [
          {
            ...instance,
            // The instance's CLI, whose channels probe answers "gateway not reachable" (a captured answer)
            // while the flag file exists: a check that fails after the new release started.
            gateway: {
              ...instance.gateway,
              cli: [
                'sh',
                '-c',
                'f=$0; d=$1; shift; if [ -e "$f" ] && [ "$3" = channels ]; then cat "$d"; echo "injected fault: $f exists" >&2; exit 0; fi; exec "$@"',
                probeFlag,
                downProbe,
                ...instance.gateway.cli,
              ],
            },
          },
        ],
        policy: {
          ...inventory.policy,
          // The CLI above is a shell wrapper, so the preflight cannot tell its Node: that check only warns.
          preflight: { warn: ['node-engine'] },
          drainDeadline: '20s',
          mismatchWindow: '3s',
          reconnectDeadline: '90s',
          stepTimeouts: { cli: '40s', update: '5m', restart: '3m', heartbeat: '10s' },
          retries: { maxAttempts: 3, initialInterval: '1s', maximumInterval: '2s' },
        },
      }),
    );
    const id = rolloutWorkflowId(cluster);
    const child = `${id}/${instance.id}`;
    const bundle = join(info.dir, 'workflow-bundle.js');
    const workerLog = join(info.dir, 'faults-worker.log');
    const sampler = haproxySampler(info);
    let worker = await WorkerProcess.start(file, bundle, workerLog);
    const replaceWorker = async (why: string) => {
      await worker.kill();
      note(`worker SIGKILLed ${why}`);
      worker = await WorkerProcess.start(file, bundle, workerLog);
      note('new worker serving');
    };
    const handle = client.workflow.getHandle(id);
    try {
      const started = await starterCli(
        'start',
        '--inventory',
        file,
        '--target',
        info.targetVersion,
        '--by',
        'faults-test',
      );
      expect(started.code, started.out).toBe(0);

      // 1. The load balancer's admin socket disappears before the drain.
      await waitUntil('the instance workflow to start', async () =>
        (await handle.query(progressQuery)).current.includes(instance.id),
      );
      // 2a. Worker killed while it stages the target with npm (in traffic, before the drain).
      await activityRunning(child, 'prepareRelease');
      await sleep(3000); // npm is running now
      await replaceWorker('during the staging (npm install, in traffic)');
      await rm(socketLink);
      note('HAProxy admin socket removed');
      const lbFailure = await instanceWhen(
        handle,
        instance.id,
        'the drain to fail after its retries',
        (s) => s.phase === 'Failed',
      );
      expect(lbFailure.failure?.step).toBe('drain');
      expect(lbFailure.failure?.message).toContain(socketLink);
      expect(lbFailure.steps.filter((s) => s.step === 'drain').at(-1)?.status).toBe('failed');
      await symlink(info.haproxy.socket, socketLink);
      note('socket back; deciding retry');
      const retry = await starterCli(
        'decide',
        '--inventory',
        file,
        '--instance',
        instance.id,
        '--decision',
        'retry',
        '--by',
        'alice',
        '--comment',
        'socket is back',
      );
      expect(retry.code, retry.out).toBe(0);

      // 2b. Worker killed during the drain wait (node-1 holds a session: the wait lasts up to 20 s).
      await activityRunning(child, 'lbWaitDrained');
      await writeFile(probeFlag, 'the channels probe of this instance says "not reachable" for now\n');
      await replaceWorker('during the drain wait');

      // 3. A check fails after the new release started: the instance stays drained and the operator is asked.
      const restartFailure = await instanceWhen(
        handle,
        instance.id,
        'the check after the start to fail',
        (s) => s.phase === 'Failed',
        10 * 60_000,
      );
      expect(restartFailure.failure?.step).toBe('verify channels probe');
      expect(restartFailure.failure?.message).toContain('channels probe not healthy');
      // The canary found that the new release migrates the state when it starts: no doctor --fix in the window.
      const okSteps = restartFailure.steps.filter((x) => x.status === 'ok');
      expect(okSteps.map((x) => x.step)).toEqual(expect.arrayContaining(['stop gateway', 'start gateway']));
      expect(okSteps.find((x) => x.id === 'canary')?.detail).toMatch(/^ready by itself/);
      expect(okSteps.filter((x) => x.id === 'doctor-fix')).toEqual([]);
      expect((await createLoadBalancer(inventory.loadBalancer).state(instance.lbServer)).admin).toBe('drain');
      const backup = restartFailure.backup;
      expect(backup && !('skipped' in backup) ? backup : undefined).toMatchObject({
        version: info.fromVersion,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const archive = (backup as { path: string }).path;
      expect(existsSync(archive)).toBe(true);
      // The new release runs on the state now (migrated to its schema): reinstalling the old one alone cannot go back.
      const migrated = await waitUntil(
        'the new release to serve on the migrated state',
        async () => {
          const st = await oc.gatewayStatus(instance.gateway, { timeoutMs: 60_000 }).catch(() => undefined);
          return st?.healthy && st.version === info.targetVersion ? st : undefined;
        },
        3 * 60_000,
        2000,
      );
      note(`failed after the start; ${migrated.version} serves on the migrated state`);
      await replaceWorker('while the rollout waits for a decision');
      await rm(probeFlag);

      // 4. A rollback whose backup is gone fails before it stops or moves anything; with the archive back, retry restores it.
      await rename(archive, `${archive}.away`);
      const rollback = await starterCli(
        'decide',
        '--inventory',
        file,
        '--instance',
        instance.id,
        '--decision',
        'rollback',
        '--by',
        'alice',
        '--comment',
        'gateway did not come back',
      );
      expect(rollback.code, rollback.out).toBe(0);
      const missing = await instanceWhen(
        handle,
        instance.id,
        'the rollback to fail without its backup',
        (s) => s.phase === 'Failed' && !!s.failure?.step.startsWith('check backup'),
        5 * 60_000,
      );
      expect(missing.failure?.message).toContain(archive);
      expect(missing.failure?.message).toMatch(/nothing was stopped or moved/i);
      expect(await oc.gatewayStatus(instance.gateway, { timeoutMs: 60_000 })).toMatchObject({
        healthy: true,
        version: info.targetVersion,
      });
      note('rollback refused: backup missing, migrated state untouched');
      await rename(`${archive}.away`, archive);
      const retryRestore = await starterCli(
        'decide',
        '--inventory',
        file,
        '--instance',
        instance.id,
        '--decision',
        'retry',
        '--by',
        'alice',
        '--comment',
        'archive is back',
      );
      expect(retryRestore.code, retryRestore.out).toBe(0);

      // 5. The Temporal server restarts during the rollback's doctor (its SQLite file keeps everything).
      await activityRunning(child, 'runDoctor');
      await new Supervisor(info.dir).ctl('restart', 'temporal');
      note('Temporal dev server restarted');

      // 6. Worker killed during the start, the rotation, the approval wait, and right after the approval.
      await activityRunning(child, 'startGateway', 10 * 60_000);
      await replaceWorker('during the start');
      // A rotation takes about a second: kill as soon as the instance enters the step (its phase is
      // reported before the rotate activity is scheduled), so the kill lands before or during the call.
      await instanceWhen(
        handle,
        instance.id,
        'the rotation step',
        (s) => s.phase === 'RotatingTokens' || s.phase === 'AwaitingApproval',
        10 * 60_000,
      );
      await replaceWorker('as the token rotation starts');
      await inPhase(handle, instance.id, 'AwaitingApproval', 10 * 60_000);
      await replaceWorker('during the approval wait');
      const approved = await starterCli(
        'approve',
        '--inventory',
        file,
        '--instance',
        instance.id,
        '--approver',
        'alice',
        '--comment',
        'rolled back, checked',
      );
      expect(approved.code, approved.out).toBe(0);
      await replaceWorker('right after the approval (rejoin)');

      await waitUntil(
        'the rollout to end',
        async () => (await handle.describe()).status.name !== 'RUNNING',
        10 * 60_000,
        2000,
      );
      const report = (await handle.result()) as ClusterRolloutReport;
      note(`rollout ended: ${report.outcome}`);
      expect(report.outcome).toBe('partial');
      const slot = report.instances.find((i) => i.instance === instance.id)!;
      expect(slot).toMatchObject({ phase: 'Done', versionBefore: info.fromVersion, versionAfter: info.fromVersion });
      expect(slot.decisions?.map((d) => [d.decision, d.by])).toEqual([
        ['retry', 'alice'],
        ['rollback', 'alice'],
        ['retry', 'alice'],
      ]);
      expect(slot.decision).toMatchObject({ kind: 'approve', approver: 'alice' });
      const ran = (name: RegExp) => slot.steps.filter((s) => name.test(s.step) && s.status === 'ok');
      expect(ran(/^restore backup /)).toHaveLength(1);
      // Staged twice harmlessly (the worker died mid-staging), and the rollback switched current back.
      expect(ran(/^stage /)).toHaveLength(1);
      const root = info.gateways.find((g) => g.id === instance.id)!.root;
      expect(ran(/^switch .*\(rollback, staged\)$/)).toHaveLength(1);
      expect(await oc.currentRelease(root)).toBe(info.fromVersion);
      expect(
        ran(new RegExp(`^check restored databases with ${info.fromVersion.replaceAll('.', '\\.')}$`))[0]?.detail,
      ).toMatch(/databases exact/);
      const movedAside = /kept at (\S+)$/.exec(ran(/^restore backup /)[0]!.detail ?? '')?.[1];
      expect(movedAside && existsSync(movedAside), `migrated state kept: ${movedAside}`).toBe(true);
      for (const step of slot.steps.filter(
        (s) =>
          /^(backup|check backup|stop gateway|restore backup|check restored|start gateway)/.test(s.step) &&
          s.status === 'ok',
      )) {
        note(`${step.step}: ${Math.round((Date.parse(step.endedAt!) - Date.parse(step.startedAt)) / 100) / 10} s`);
      }
      await saveHistories(info, 'faults-staged', [id, child]);
    } finally {
      await sampler.stop();
      await tolerant(() => handle.terminate('test cleanup'));
      await worker.stop();
      await rm(probeFlag, { force: true });
      // Whatever happened above, leave the server in traffic for the next test (an operator would check it first).
      await createLoadBalancer(inventory.loadBalancer).ready(instance.lbServer);
    }

    // The end state an operator checks.
    const rows = await showStat(info.haproxy.socket);
    for (const g of info.gateways) expect(rows.find((r) => r.server === g.lbServer)?.status, g.id).toBe('UP');
    const status = await oc.gatewayStatus(instance.gateway, { timeoutMs: 60_000 });
    expect(status).toMatchObject({ healthy: true, version: info.fromVersion });
    const back = await waitUntil(
      'node-1 connected to its home gateway',
      async () =>
        (await oc.devicesList(instance.gateway, { timeoutMs: 60_000 })).paired.find(
          (d) => d.deviceId === device.deviceId,
        )?.connected,
      120_000,
      2000,
    );
    expect(back).toBe(true);
    // Its devices are still paired on the restored state, and no client meets a device token mismatch.
    const paired = (await oc.devicesList(instance.gateway, { timeoutMs: 60_000 })).paired.map((d) => d.deviceId);
    for (const d of instance.devices) expect(paired, d.name).toContain(d.deviceId);
    const windowStart = Date.now();
    await sleep(10_000);
    expect(
      (await oc.countTokenMismatches(instance.gateway, { sinceMs: windowStart }, { timeoutMs: 60_000 })).count,
    ).toBe(0);
    expect(sampler.maxDrained()).toBeLessThanOrEqual(1);
    expect(new Set(sampler.samples.flatMap((s) => s.drained))).toEqual(new Set([instance.lbServer]));
  },
  30 * 60_000,
);
