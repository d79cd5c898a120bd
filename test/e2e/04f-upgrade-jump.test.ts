/**
 * An upgrade that skips releases, on the real bed: one extra gateway started on the jump release
 * (2026.8.2, test/bed/extra-gateway.ts) behind HAProxy, a client paired to it and held connected through
 * HAProxy with the gateway's shared auth, and three rollouts of that one instance to the target:
 *   1. the documented update (staged, doctor and a canary boot on a copy of the state while in traffic;
 *      then stop, switch, start: the new release migrates the state when it starts, as its canary showed,
 *      or doctor --fix first when the canary needed it); then a check fails (the channels probe answers "not reachable") →
 *      `decide rollback` → the backup taken before the update is restored and current switched back:
 *      2026.8.2 runs again, healthy, on its pre-upgrade state; after approval it rejoins;
 *   2. the same jump again, which completes without a human fixing anything: its canary decided the
 *      window, the client reconnects, no device token mismatch over the window, no pairing request left;
 *   3. a forced rerun whose start is refused (a wrapped start command) leaves the gateway stopped and
 *      waiting; `decide abort` cannot start it either and the report says "stopped" with the command;
 *      once the cause is gone, the next `start` takes the instance up from that report (no refusal
 *      because it is down), starts it, and completes; its time out of traffic counts from the first drain.
 * The one-release path (2026.9.5 → 2026.9.6) is the rest of the suite (04b-04d, 05). The extra gateway
 * is removed at the end; the bed's own gateways are not touched.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { loadInventory } from '../../src/inventory-file.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { liveProgress } from '../../src/cli/live-progress.js';
import { outOfTraffic } from '../../src/shared/out-of-traffic.js';
import type { RolloutProgress } from '../../src/shared/messages/rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { sleep } from '../bed/probes.js';
import { OPERATOR_SCOPES, gatewayAccess, pairStraightTo, sharedToken } from '../bed/clients.js';
import { bed, startWorker } from '../bed/context.js';
import { removeExtraGateway, startExtraGateway, writeExtraInventory, type ExtraGateway } from '../bed/extra-gateway.js';
import { saveHistories } from '../bed/histories.js';
import { projectRoot, versions } from '../bed/tools.js';
import { pollUntil } from '../bed/wait.js';
import { HeldConnection, type DeviceIdentity } from '../bed/ws-client.js';
import { starterCli } from '../bed/starter.js';

const JUMP_FROM = versions.OPENCLAW_JUMP_FROM_VERSION;
let info: BedInfo;
let extra: ExtraGateway;
let inventory: Inventory;
let file: string;
let client: DeviceIdentity;
let held: HeldConnection | undefined;
let w: Awaited<ReturnType<typeof startWorker>>;
const probeFlag = () => join(extra.gateway.dir, 'channels-down');

beforeAll(async () => {
  ({ info } = await bed());
  extra = await startExtraGateway(info, { version: JUMP_FROM });
  client = await pairStraightTo(info, extra.gateway, 'jump-client');
  held = new HeldConnection({
    url: extra.routeUrl('jump-client'),
    identity: client,
    role: 'operator',
    scopes: OPERATOR_SCOPES,
    sharedToken: await sharedToken(info),
    reconnectMaxMs: 2000,
  });
  expect((await held.start()).type).toBe('hello');
  const path = await writeExtraInventory(info, extra, [
    {
      instance: extra.gateway.id,
      deviceId: client.deviceId,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      name: 'jump-client',
    },
  ]);
  const raw = parseYaml(await readFile(path, 'utf8')) as Record<string, unknown> & {
    instances: Record<string, unknown>[];
    policy: Record<string, unknown>;
  };
  // Its CLI answers the channels probe with a captured "not reachable" while the flag file exists.
  const gateway = raw.instances[0]!.gateway as { cli: string[] };
  const down = join(projectRoot, 'test/fixtures/openclaw/channels-status.down.json');
  gateway.cli = [
    'sh',
    '-c',
    'f=$0; d=$1; shift; if [ -e "$f" ] && [ "$3" = channels ]; then cat "$d"; exit 0; fi; exec "$@"',
    probeFlag(),
    down,
    ...gateway.cli,
  ];
  raw.temporal = { ...(raw.temporal as object), taskQueue: 'jump' };
  // The CLI is a shell wrapper, so the preflight cannot tell its Node: that check only warns.
  raw.policy = {
    ...raw.policy,
    drainDeadline: '5s',
    mismatchWindow: '5s',
    preflight: { warn: ['node-engine'] },
    retries: { maxAttempts: 2, initialInterval: '1s', maximumInterval: '2s' },
  };
  file = join(extra.gateway.dir, 'cluster-jump.yaml');
  await writeFile(file, toYaml(raw));
  inventory = await loadInventory(file);
  w = await startWorker(info, inventory.temporal.taskQueue);
}, 5 * 60_000);

afterAll(async () => {
  await held?.stop();
  await w?.stop();
  await removeExtraGateway(info, extra?.gateway.id);
});

const slotWhen = (what: string, pred: (s: RolloutProgress['instances'][number]) => boolean, timeoutMs = 8 * 60_000) =>
  pollUntil(
    what,
    async () => {
      const p = await liveProgress(w.client.workflow.getHandle(rolloutWorkflowId(inventory.cluster))).catch(
        () => undefined,
      );
      const slot = p?.instances[0];
      return slot && pred(slot) ? slot : undefined;
    },
    timeoutMs,
    1000,
  );

/**
 * The canary booted the target on a copy of the jump release's state before the drain, and its answer
 * decided the window: ready by itself (2026.9.6 migrates a 2026.8.2 state when it starts, measured) → no
 * doctor --fix in the window; ready only after the fix on the copy → the window ran the fix.
 */
function expectCanaryDecided(steps: RolloutProgress['instances'][number]['steps']): void {
  const canary = steps.find((s) => s.id === 'canary');
  expect(canary?.status).toBe('ok');
  expect(canary?.detail).toMatch(/migrated: .*(schema|migration)/i);
  const fixes = steps.filter((s) => s.id === 'doctor-fix' && s.status === 'ok');
  if (/^ready by itself/.test(canary!.detail!)) expect(fixes).toEqual([]);
  else expect(fixes.map((s) => s.detail)).toEqual([expect.stringMatching(/applied/)]);
}

/** Pending pairing requests on the extra gateway made at or after `sinceMs` (by device). */
const pendingSince = async (sinceMs: number) =>
  (await oc.devicesList(gatewayAccess(extra.gateway), { timeoutMs: 60_000 })).pending
    .filter((p) => (p.ts ?? 0) >= sinceMs)
    .map((p) => p.deviceId);

const runningVersion = async () =>
  (await oc.gatewayStatus(gatewayAccess(extra.gateway), { timeoutMs: 60_000 }).catch(() => undefined))?.version;

it(
  `rolls back a ${JUMP_FROM} → target jump that failed after the migration, from the backup`,
  async () => {
    const instance = extra.gateway.id;
    const started = await starterCli('start', '--inventory', file, '--target', info.targetVersion, '--by', 'jump-test');
    expect(started.code, started.out).toBe(0);
    // The release is staged and its canary booted on a copy before the drain, switched in after the stop:
    // the migrating start is the long step after the switch, and the channels probe must fail only after it.
    await pollUntil(
      'the migrating start',
      async () => {
        const d = await w.client.workflow.getHandle(`${rolloutWorkflowId(inventory.cluster)}/${instance}`).describe();
        return d.raw.pendingActivities?.some((a) => a.activityType?.name === 'startGateway');
      },
      5 * 60_000,
      500,
    );
    await writeFile(probeFlag(), 'the channels probe says "not reachable" for now\n');
    const failed = await slotWhen('the check after the start to fail', (s) => s.phase === 'Failed');
    expect(failed.failure?.step).toBe('verify channels probe');
    expectCanaryDecided(failed.steps);
    expect(await runningVersion()).toBe(info.targetVersion); // migrated: the old release would refuse this state

    await rm(probeFlag());
    const rollback = await starterCli(
      'decide',
      '--inventory',
      file,
      '--instance',
      instance,
      '--decision',
      'rollback',
      '--by',
      'alice',
    );
    expect(rollback.code, rollback.out).toBe(0);
    const waiting = await slotWhen(
      'the rolled-back instance to wait for approval',
      (s) => s.phase === 'AwaitingApproval',
    );
    expect(waiting.steps.filter((s) => s.status === 'ok').map((s) => s.step)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^restore backup /),
        `switch ${extra.gateway.root}/current to ${JUMP_FROM} (rollback, staged)`,
        `check restored databases with ${JUMP_FROM}`,
        'start gateway (rollback)',
      ]),
    );
    // The rollback switched current back to the release it ran before (still staged in versions/).
    expect(await oc.currentRelease(extra.gateway.root)).toBe(JUMP_FROM);
    expect(await runningVersion()).toBe(JUMP_FROM);
    const approved = await starterCli(
      'approve',
      '--inventory',
      file,
      '--instance',
      instance,
      '--approver',
      'alice',
      '--comment',
      'back on the jump release',
    );
    expect(approved.code, approved.out).toBe(0);
    const report = (await w.client.workflow
      .getHandle(rolloutWorkflowId(inventory.cluster))
      .result()) as ClusterRolloutReport;
    expect(report.outcome).toBe('partial');
    expect(report.instances[0]).toMatchObject({
      outcome: 'rolled-back',
      versionBefore: JUMP_FROM,
      versionAfter: JUMP_FROM,
    });
    expect((await createLoadBalancer(inventory.loadBalancer).state(extra.instance.lbServer)).admin).toBe('ready');
    await saveHistories(info, 'jump-rolled-back', [
      rolloutWorkflowId(inventory.cluster),
      `${rolloutWorkflowId(inventory.cluster)}/${instance}`,
    ]);
  },
  15 * 60_000,
);

it(
  `completes the ${JUMP_FROM} → target jump as its canary decided, the client back, no mismatch, no request left`,
  async () => {
    const instance = extra.gateway.id;
    const startedAt = Date.now();
    const started = await starterCli('start', '--inventory', file, '--target', info.targetVersion, '--by', 'jump-test');
    expect(started.code, started.out).toBe(0);
    await slotWhen('the instance to wait for approval', (s) => s.phase === 'AwaitingApproval');
    const approved = await starterCli('approve', '--inventory', file, '--instance', instance, '--approver', 'alice');
    expect(approved.code, approved.out).toBe(0);
    const report = (await w.client.workflow
      .getHandle(rolloutWorkflowId(inventory.cluster))
      .result()) as ClusterRolloutReport;
    expect(report.outcome).toBe('done');
    const slot = report.instances[0]!;
    expect(slot).toMatchObject({ outcome: 'done', versionBefore: JUMP_FROM, versionAfter: info.targetVersion });
    const steps = slot.steps.filter((s) => s.status === 'ok').map((s) => s.step);
    expect(steps).toEqual(
      expect.arrayContaining([
        `stage ${info.targetVersion} in ${extra.gateway.root}/versions (in traffic)`,
        'doctor (running release, before the drain)',
        `canary boot of ${info.targetVersion} on a copy of the state (in traffic)`,
        'stop gateway',
        `switch ${extra.gateway.root}/current to ${info.targetVersion} (staged)`,
        'start gateway',
        'doctor (after the rejoin)',
      ]),
    );
    expectCanaryDecided(slot.steps);
    expect(await runningVersion()).toBe(info.targetVersion);

    // The client reconnected by itself (shared auth) after its rotation, and nobody meets a mismatch.
    const entry = await pollUntil(
      'the jump client connected',
      async () => {
        const e = (await oc.devicesList(gatewayAccess(extra.gateway), { timeoutMs: 60_000 })).paired.find(
          (d) => d.deviceId === client.deviceId,
        );
        return e?.connected ? e : undefined;
      },
      60_000,
      2000,
    );
    expect(entry.scopes).toEqual(OPERATOR_SCOPES);
    const windowStart = Date.now();
    await sleep(10_000);
    expect(
      (await oc.countTokenMismatches(gatewayAccess(extra.gateway), { sinceMs: windowStart }, { timeoutMs: 60_000 }))
        .count,
    ).toBe(0);
    // No client was sent to another instance while this one was out, and none asked to pair here.
    expect(await pendingSince(startedAt)).toEqual([]);
    await saveHistories(info, 'jump-done', [
      rolloutWorkflowId(inventory.cluster),
      `${rolloutWorkflowId(inventory.cluster)}/${instance}`,
    ]);
  },
  15 * 60_000,
);

it(
  'an abort while the gateway is stopped never leaves it silently down: reported stopped with the command; the rerun takes it up, runs it again and completes with no hands',
  async () => {
    const instance = extra.gateway.id;
    // Its start refuses while a flag file exists: the window's start fails, and so does the abort's.
    const startFlag = join(extra.gateway.dir, 'start-refused');
    const raw = parseYaml(await readFile(file, 'utf8')) as { instances: { restart: string[]; start?: string[] }[] };
    const restart = raw.instances[0]!.restart;
    const at = restart.indexOf('restart');
    raw.instances[0]!.start = [
      'sh',
      '-c',
      'if [ -e "$0" ]; then echo "start refused: $0 exists" >&2; exit 1; fi; exec "$@"',
      startFlag,
      ...restart.slice(0, at),
      'start',
      ...restart.slice(at + 1),
    ];
    const stopping = join(extra.gateway.dir, 'cluster-jump-start-refused.yaml');
    await writeFile(stopping, toYaml(raw));
    await writeFile(startFlag, 'the start is refused for now\n');
    const cli = (...args: string[]) =>
      starterCli(...args.flatMap((a) => (a === '$inv' ? ['--inventory', stopping] : [a])));
    const started = await cli('start', '$inv', '--target', info.targetVersion, '--by', 'jump-test', '--force');
    expect(started.code, started.out).toBe(0);
    const failed = await slotWhen('the start to fail', (s) => s.phase === 'Failed');
    expect(failed.failure?.step).toBe('start gateway');
    expect(await runningVersion()).toBeFalsy(); // stopped by the update

    const abort = await cli('decide', '$inv', '--instance', instance, '--decision', 'abort', '--by', 'alice');
    expect(abort.code, abort.out).toBe(0);
    const handle = w.client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
    const aborted = (await handle.result()) as ClusterRolloutReport;
    expect(aborted.outcome).toBe('aborted');
    expect(aborted.needsAttention).toEqual([
      {
        instance,
        why: expect.stringMatching(
          /the gateway: stopped: starting it again failed \(.*start refused.*\); start it by hand: sh -c /,
        ),
      },
    ]);
    expect(await runningVersion()).toBeFalsy();
    const firstDrain = outOfTraffic(aborted.instances[0]!).outSince;
    expect(firstDrain).toBeTruthy();

    // The cause is gone; the rerun (not forced) takes the stopped, drained instance up from its report.
    await rm(startFlag);
    const rerun = await cli('start', '$inv', '--target', info.targetVersion, '--by', 'jump-test');
    expect(rerun.code, rerun.out).toBe(0);
    expect(rerun.out).toMatch(
      new RegExp(
        `taken up: ${instance}: left out of traffic by ${rolloutWorkflowId(inventory.cluster)} since \\S+, its gateway stopped`,
      ),
    );
    await slotWhen('the instance to wait for approval', (s) => s.phase === 'AwaitingApproval');
    const approved = await cli('approve', '$inv', '--instance', instance, '--approver', 'alice');
    expect(approved.code, approved.out).toBe(0);
    const report = (await handle.result()) as ClusterRolloutReport;
    expect(report.outcome).toBe('done');
    expect(report.instances[0]).toMatchObject({ outcome: 'done', versionBefore: info.targetVersion });
    // One stay out of traffic, counted from the aborted rollout's drain.
    expect(outOfTraffic(report.instances[0]!).periods).toEqual([{ from: firstDrain, to: expect.any(String) }]);
    expect(await runningVersion()).toBe(info.targetVersion);
    expect((await createLoadBalancer(inventory.loadBalancer).state(extra.instance.lbServer)).admin).toBe('ready');
    await saveHistories(info, 'take-up-stopped', [
      rolloutWorkflowId(inventory.cluster),
      `${rolloutWorkflowId(inventory.cluster)}/${instance}`,
    ]);
  },
  15 * 60_000,
);
