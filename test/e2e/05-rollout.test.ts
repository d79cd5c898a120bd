/**
 * The product on the real bed: rollouts started, approved and rejected from the starter CLI, driven by a
 * real worker on the Temporal dev server against real gateways, HAProxy and clients.
 *  1. `plan` changes nothing.
 *  2. A rollout to the release the cluster already runs, with a short approval timeout: the first
 *     instance waits drained, is asked again after the timeout, ignores an approval for another
 *     instance; a rejection makes it wait for a decision like a failed step: rollback restores it from
 *     its backup and, approved again, it is back in traffic; the rollout stops after it.
 *  3. The full 3-instance rollout to the target with approvals, driven by the demo's own driver
 *     (test/bed/rollout-driver.ts): a second start is refused, status --watch shows each instance waiting,
 *     HAProxy shows each instance drained only during its own turn and for the time out of traffic that
 *     status reports, every gateway ends on the target, in traffic, and the rotated clients are
 *     connected again, and no gateway holds a pairing request made during the rollout (the ones clients
 *     left on another gateway while their home was out were rejected at the end).
 * The last file that changes the bed: it leaves every gateway on the target release (06 only reads).
 */
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import { progressQuery } from '../../src/shared/messages/rollout.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { sleep } from '../bed/probes.js';
import { waitForInstancePhase } from '../bed/wait.js';
import { driveRollout, type DrivenRollout } from '../bed/rollout-driver.js';
import { outOfTraffic } from '../../src/shared/out-of-traffic.js';
import { outOfTrafficCell } from '../../src/cli/views/out-of-traffic-view.js';
import { gatewayAccess, routeUrl, sharedToken } from '../bed/clients.js';
import { bed, clientIdentity, deviceNamed, startWorker } from '../bed/context.js';
import { HeldConnection } from '../bed/ws-client.js';
import { saveHistories } from '../bed/histories.js';
import { haproxySampler } from '../bed/haproxy-sampler.js';
import { findSecrets, heldSecrets, historyText, readHistoryText, type HeldSecret } from '../bed/secret-scan.js';
import { starterCli, type StarterResult } from '../bed/starter.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdir } from 'node:fs/promises';
import { verifyWebhookSignature } from '../../src/activities/notify/index.js';
import type { Notice } from '../../src/shared/notices.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { pollUntil } from '../bed/wait.js';
import { projectRoot } from '../bed/tools.js';
import { approveRejoin } from '../../src/shared/messages/rollout.js';
import { metricsTelemetry } from '../../src/worker/metrics/telemetry.js';
import { startFleetGauges } from '../../src/worker/metrics/fleet-gauges.js';
import { freePort } from '../bed/ports.js';
import { startPrometheus, waitForSeries, type BedPrometheus } from '../bed/prometheus.js';
import { writeMetricsWindow } from '../bed/metrics-window.js';

let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;
let opClient: HeldConnection;
let gauges: ReturnType<typeof startFleetGauges> | undefined;
let prom: BedPrometheus;
/** Everything the in-process worker logged (Temporal runtime, workflows via sinks, activities). */
const workerLogs: string[] = [];
/** Everything the starter printed in this file. */
const starterOutput: string[] = [];
/** Receives the full rollout's notifications (a signed webhook and a Slack message) on loopback. */
let rx: NotificationReceiver;
const HOOK_SECRET = 'whsec-05-1679091c5a880faf6fb5e6087eb1b2dc';
const SLACK_PATH = '/slack/T05/B05/full-rollout-incoming-8f14e45fceea167a';

/** Runs the starter in-process; its output is kept for the secret scan. */
async function cli(...args: string[]): Promise<StarterResult> {
  const r = await starterCli(...args);
  starterOutput.push(r.out);
  return r;
}

/** Workflow ids with a search attribute query (what `temporal workflow list --query` shows). */
async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of w.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/** Polls a visibility query until `expected` ids are all listed (visibility lags a moment behind). */
async function waitListed(query: string, expected: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await listIds(query);
    if (expected.every((e) => ids.includes(e)) || Date.now() > deadline) return ids;
    await sleep(1000);
  }
}

beforeAll(async () => {
  ({ info, inventory } = await bed());
  // The worker serves Prometheus metrics as `worker --metrics` does (the same Runtime telemetry and fleet
  // gauges), scraped every second by the bed's Prometheus; 05b-metrics asserts the series afterwards.
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  // Capture the worker's logs (before any connection exists) for the secret scan at the end.
  Runtime.install({
    telemetryOptions: metricsTelemetry(metricsAddress, inventory.cluster),
    logger: new DefaultLogger('DEBUG', (entry) => {
      workerLogs.push(
        `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {}, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
      if (entry.level === 'ERROR' || entry.level === 'WARN') console.warn(`[worker ${entry.level}] ${entry.message}`);
    }),
  });
  w = await startWorker(info, inventory.temporal.taskQueue);
  gauges = startFleetGauges(w.client, inventory, 2000);
  prom = await startPrometheus(info, [metricsAddress]);
  // op-1 as a real client: holds its connection through HAProxy, re-authenticates with shared auth.
  const op = deviceNamed(inventory, 'op-1');
  opClient = new HeldConnection({
    url: routeUrl(info, 'op-1'),
    identity: await clientIdentity(info, 'op-1'),
    role: 'operator',
    scopes: op.device.scopes,
    sharedToken: await sharedToken(info),
  });
  expect((await opClient.start()).type).toBe('hello');
  secretsBefore = await heldSecrets(info);
  rx = await notificationReceiver();
  process.env.E2E05_HOOK_SECRET = HOOK_SECRET;
  process.env.E2E05_SLACK_URL = `${rx.base}${SLACK_PATH}`;
});
afterAll(async () => {
  await rx?.close();
  await opClient?.stop();
  await gauges?.stop();
  await w?.stop();
});

describe('plan', () => {
  it('prints the commands per instance and changes nothing', async () => {
    const before = await Promise.all(info.gateways.map((g) => oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 })));
    const r = await cli('plan', '--inventory', info.inventoryPath, '--target', info.targetVersion);
    expect(r.code, r.out).toBe(0);
    for (const g of info.gateways) {
      expect(r.out).toContain(`${g.id}:`);
      expect(r.out).toContain(`set server gateways/${g.lbServer} state drain`);
    }
    expect(r.out).toContain(`openclaw@${info.targetVersion}`);
    // The documented update (the bed's supervisor can stop and start each gateway) and what the jump migrates.
    expect(r.out).toContain(
      'doctor --fix --non-interactive   (the new release: only when the canary started only after it; the new release migrates the state by itself when it starts)',
    );
    expect(r.out).toContain(`canary: versions/${info.targetVersion}'s openclaw gateway run on a copy of the state`);
    expect(r.out).toContain(`${info.fromVersion} → ${info.targetVersion}`);
    expect(r.out).toMatch(
      /Migrations will run \(.*state schema 17 → 18.*\): .*a rollback then needs the backup taken before the update/,
    );
    const rows = await showStat(info.haproxy.socket);
    for (const g of info.gateways) expect(rows.find((x) => x.server === g.lbServer)?.status).toBe('UP');
    const after = await Promise.all(info.gateways.map((g) => oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 })));
    const tokens = (l: typeof before) =>
      l.map((x) => x.paired.map((d) => d.tokens.map((t) => t.rotatedAtMs ?? t.createdAtMs)));
    expect(tokens(after)).toEqual(tokens(before));
  });
});

describe('approval timeout and rejection', () => {
  it('keeps the instance drained past the approval timeout, ignores stray approvals, and stops on reject', async () => {
    // Same release as running: the update steps run for real without moving the bed forward.
    const file = join(info.dir, 'cluster-short-approval.yaml');
    const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
      policy: Record<string, unknown>;
    };
    raw.policy = { ...raw.policy, approvalTimeout: '5s', approvals: { approvers: ['alice', 'bob', 'test'] } };
    await writeFile(file, toYaml(raw));
    const first = inventory.instances[0]!.id;
    const second = inventory.instances[1]!.id;

    const started = await cli('start', '--inventory', file, '--target', info.fromVersion, '--by', 'test', '--force');
    expect(started.code, started.out).toBe(0);
    const id = rolloutWorkflowId(inventory.cluster);
    try {
      expect(started.out).toContain(id);
      expect(started.out).toContain(`${info.temporal.uiUrl}/namespaces/default/workflows/${id}`);

      await waitForInstancePhase(w.client, id, first, 'AwaitingApproval', 8 * 60_000);
      // "Which rollouts wait for me" is one search attribute query, for the rollout and its instance.
      const waiting = await waitListed(
        `OpenclawCluster = '${inventory.cluster}' AND OpenclawPhase = 'AwaitingApproval'`,
        [id, `${id}/${first}`],
      );
      expect(waiting).toEqual(expect.arrayContaining([id, `${id}/${first}`]));
      expect(await waitListed(`OpenclawInstance = '${first}' AND OpenclawPhase = 'AwaitingApproval'`, [id])).toContain(
        id,
      );

      // The starter's approve is an Update: refused at once with the reason, and nothing changes.
      const notWaiting = await cli('approve', '--inventory', file, '--instance', second, '--approver', 'bob');
      expect(notWaiting.code, notWaiting.out).toBe(1);
      expect(notWaiting.out).toMatch(
        new RegExp(`approve refused by ${id}: ${second} is not being rolled out now.*Nothing was changed`),
      );
      const self = await cli('approve', '--inventory', file, '--instance', first, '--approver', 'test');
      expect(self.code, self.out).toBe(1);
      expect(self.out).toContain('four-eyes: test started this rollout and cannot approve it');
      const outsider = await cli('approve', '--inventory', file, '--instance', first, '--approver', 'mallory');
      expect(outsider.code, outsider.out).toBe(1);
      expect(outsider.out).toContain(
        'mallory is not an allowed approver (policy.approvals.approvers: alice, bob, test)',
      );
      // The Web UI's path is a plain signal: a stray approval and an outsider's approval sent straight to
      // the instance's workflow are recorded and ignored.
      await w.client.workflow.getHandle(id).signal(approveRejoin, { instance: second, approver: 'bob' });
      await w.client.workflow
        .getHandle(`${id}/${first}`)
        .signal(approveRejoin, { instance: first, approver: 'mallory' });
      await sleep(7000); // past the 5 s approval timeout
      const p = await w.client.workflow.getHandle(id).query(progressQuery);
      const slot = p.instances.find((i) => i.instance === first)!;
      expect(slot.phase).toBe('AwaitingApproval');
      expect(slot.approvalTimeouts).toBeGreaterThanOrEqual(1);
      expect(p.ignored.map((x) => (x.payload as { instance: string }).instance)).toContain(second);
      expect(slot.ignored.map((x) => x.reason)).toContain(
        'mallory is not an allowed approver (policy.approvals.approvers: alice, bob, test)',
      );
      expect(slot.decision).toBeUndefined();
      const rows = await showStat(info.haproxy.socket);
      expect(rows.find((x) => x.server === inventory.instances[0]!.lbServer)?.status).toMatch(/DRAIN/);

      expect(
        (await cli('reject', '--inventory', file, '--instance', first, '--approver', 'alice', '--comment', 'not today'))
          .code,
      ).toBe(0);
      // The rejected instance waits for a decision out of traffic, like a failed step; rollback restores it
      // from the backup taken before the update, and after approval it is back in traffic.
      const failed = await waitForInstancePhase(w.client, id, first, 'Failed', 60_000);
      expect(failed.instances.find((i) => i.instance === first)!.failure).toMatchObject({
        step: 'rejoin approval',
        message: expect.stringContaining('rejected by alice (not today)'),
      });
      const decided = await cli(
        'decide',
        '--inventory',
        file,
        '--instance',
        first,
        '--decision',
        'rollback',
        '--by',
        'bob',
      );
      expect(decided.code, decided.out).toBe(0);
      // The decision reaches the instance's workflow through the rollout: until then it still reads Failed.
      await pollUntil(
        'the rollback to start',
        async () =>
          (await w.client.workflow.getHandle(id).query(progressQuery)).instances.find((i) => i.instance === first)
            ?.phase !== 'Failed',
        60_000,
      );
      await waitForInstancePhase(w.client, id, first, 'AwaitingApproval', 8 * 60_000);
      const approved = await cli('approve', '--inventory', file, '--instance', first, '--approver', 'bob');
      expect(approved.code, approved.out).toBe(0);
      const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('rejected');
      const rejected = report.instances.find((i) => i.instance === first)!;
      expect(rejected.rejection).toMatchObject({ kind: 'reject', approver: 'alice', comment: 'not today' });
      expect(rejected).toMatchObject({ outcome: 'rolled-back', versionAfter: info.fromVersion });
      expect(rejected.steps.some((s) => s.id === 'restore' && s.status === 'ok')).toBe(true);
      expect(report.instances.find((i) => i.instance === second)!.phase).toBe('Pending');
      historyFiles.push(...(await saveHistories(info, 'rejected', [id, `${id}/${first}`, `${id}/preflight`])));
      const after = await showStat(info.haproxy.socket);
      expect(after.find((x) => x.server === inventory.instances[0]!.lbServer)?.status).toBe('UP');
      expect(after.find((x) => x.server === inventory.instances[1]!.lbServer)?.status).toBe('UP');
    } finally {
      // Whatever happened above, leave no rollout running and no instance drained for the next test
      // (an operator would investigate and return the instance by hand).
      await w.client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
      const { createLoadBalancer } = await import('../../src/activities/load-balancer/index.js');
      await createLoadBalancer(inventory.loadBalancer).ready(inventory.instances[0]!.lbServer);
    }
  });
});

/** The pending pairing requests made at or after `sinceMs` on each gateway (by device): a rollout must leave none. */
const pendingSince = async (sinceMs: number) =>
  Object.fromEntries(
    await Promise.all(
      info.gateways.map(async (g) => {
        const list = await oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 });
        return [g.id, list.pending.filter((p) => (p.ts ?? 0) >= sinceMs).map((p) => p.deviceId)] as const;
      }),
    ),
  );

/** Histories exported in this file (rejected and approved rollouts), scanned for secrets at the end. */
const historyFiles: string[] = [];
const watchOutput: string[] = [];
let secretsBefore: HeldSecret[] = [];

describe('full rollout with approvals', () => {
  it(
    'updates every instance one at a time, each rejoining only after its approval',
    async () => {
      const sampler = haproxySampler(info);
      const id = rolloutWorkflowId(inventory.cluster);
      const notifying = await withNotifications();
      const startedAt = Date.now();
      let driven: DrivenRollout;
      try {
        // The demo's rollout (scripts/demo.ts runs the same driver): start, status --watch, and each instance
        // approved from the CLI once the watch shows it waiting; a start or an approval that fails throws here.
        driven = await driveRollout({
          client: w.client,
          inventory,
          inventoryPath: notifying,
          target: info.targetVersion,
          startedBy: 'test',
          approver: 'alice',
          comment: 'looks good',
          cli,
          onWatch: (table) => watchOutput.push(table),
          hooks: {
            afterStart: async () => {
              const again = await cli('start', '--inventory', info.inventoryPath, '--target', info.targetVersion);
              expect(again.code).toBe(2);
              expect(again.out).toContain(`already running: ${id}`);
            },
            beforeApprove: async (instance) => {
              await approvalNoticeArrived(instance.id, id);
              // What the dashboard shows before an operator approves: this instance waiting for a person.
              const waiting = `${inventory.cluster}",openclaw_instance="${instance.id}`;
              await waitForSeries(prom, `openclaw_rollout_instance_awaiting_person_seconds{cluster="${waiting}"} > 0`);
            },
          },
        });
        expect(driven.started.out).toContain(id);
        for (const t of driven.turns) expect(t.approval.out).toContain(`approval of ${t.instance} by alice accepted`);
        const report = driven.report;
        expect(report.outcome).toBe('done');
        await writeMetricsWindow(info, { from: startedAt, to: Date.now(), turns: driven.turns, report });
        historyFiles.push(
          ...(await saveHistories(info, 'approved-staged', [
            id,
            ...inventory.instances.map((i) => `${id}/${i.id}`),
            `${id}/preflight`,
            `${id}/final-check`,
          ])),
        );
        expect(
          await waitListed(`OpenclawCluster = '${inventory.cluster}' AND OpenclawPhase = 'Done'`, [
            id,
            ...inventory.instances.map((i) => `${id}/${i.id}`),
          ]),
        ).toEqual(expect.arrayContaining([id, ...inventory.instances.map((i) => `${id}/${i.id}`)]));
        for (const i of report.instances) {
          expect(i.versionBefore).toBe(info.fromVersion);
          expect(i.versionAfter).toBe(info.targetVersion);
          expect(i.decision).toMatchObject({ kind: 'approve', approver: 'alice' });
        }
      } finally {
        await sampler.stop();
      }
      const turns = driven.turns.map((t) => ({ instance: t.lbServer, from: t.from, to: t.to }));

      // Notifications: one "waiting for approval" per instance, in order, then the end's summary; all delivered.
      const notices = await pollUntil(
        'the rollout-ended notice',
        async () => {
          const n = rx.json<Notice>('/ok');
          return n.some((x) => x.event === 'rollout-ended') && n;
        },
        30_000,
        250,
      );
      expect(notices.filter((n) => n.event === 'awaiting-approval').map((n) => n.instance)).toEqual(
        inventory.instances.map((i) => i.id),
      );
      expect(notices.find((n) => n.event === 'rollout-ended')!.title).toBe(`Rollout ${id} ended: done`);
      const slackMessages = rx.received.filter((r) => r.path === SLACK_PATH);
      expect(slackMessages.filter((r) => r.body.includes('waits for approval to rejoin traffic'))).toHaveLength(
        inventory.instances.length,
      );
      expect((await w.client.workflow.getHandle(id).query(progressQuery)).notificationFailures ?? []).toEqual([]);
      // Kept for docs/notifications.md (a real run's messages).
      await mkdir(join(projectRoot, 'test-artifacts', 'notifications'), { recursive: true });
      await writeFile(
        join(projectRoot, 'test-artifacts', 'notifications', 'webhook-awaiting-approval.json'),
        rx.received.find((r) => r.path === '/ok')!.body,
      );
      await writeFile(
        join(projectRoot, 'test-artifacts', 'notifications', 'slack-awaiting-approval.json'),
        slackMessages[0]!.body,
      );

      // status --watch (not a terminal): a new table on each change, every instance seen waiting with
      // who may approve, the last one the finished rollout.
      expect(driven.watchCode).toBe(0);
      const watched = watchOutput.join('\n');
      for (const instance of inventory.instances) {
        expect(watched).toMatch(
          new RegExp(
            `\\n${instance.id}\\s+AwaitingApproval\\s+${info.fromVersion.replaceAll('.', '\\.')} → ${info.targetVersion.replaceAll('.', '\\.')}\\s+\\d+\\s+.*approval by any operator \\(not test\\)`,
          ),
        );
      }
      expect(watchOutput.at(-1)).toMatch(new RegExp(`rollout ${id}: Done`));
      expect(watched).not.toContain('\x1b');

      // HAProxy: never more than one instance out of traffic, and each only during its own turn.
      expect(Math.max(...sampler.samples.map((s) => s.drained.length))).toBeLessThanOrEqual(1);
      for (const s of sampler.samples.filter((x) => x.drained.length)) {
        // The turns around this moment (±1 s for the sampler's and the poller's own delays at a handover).
        const around = turns.filter((t) => s.at >= t.from - 1000 && s.at <= t.to + 1000).map((t) => t.instance);
        expect(around, `sample at ${new Date(s.at).toISOString()}: ${s.drained.join(',')}`).toContain(s.drained[0]);
      }
      expect(new Set(sampler.samples.flatMap((s) => s.drained))).toEqual(
        new Set(inventory.instances.map((i) => i.lbServer)),
      );

      // The time out of traffic that status and the demo show, from the recorded drain and rejoin steps:
      // each instance left traffic once, and that period covers what HAProxy showed drained (sampled every
      // 500 ms), not much longer (the steps' times are taken by the workflow around the calls).
      const lastTable = watchOutput.at(-1)!;
      for (const i of driven.report.instances) {
        const o = outOfTraffic(i);
        const server = inventory.instances.find((x) => x.id === i.instance)!.lbServer;
        const seen = sampler.samples.filter((s) => s.drained.includes(server)).map((s) => s.at);
        expect(o.periods, i.instance).toHaveLength(1);
        expect(o.outSince, i.instance).toBeUndefined();
        const from = Date.parse(o.periods[0]!.from);
        const to = Date.parse(o.periods[0]!.to!);
        expect(Math.min(...seen), i.instance).toBeGreaterThanOrEqual(from - 1000);
        expect(Math.max(...seen), i.instance).toBeLessThanOrEqual(to + 1000);
        expect(o.totalMs - (Math.max(...seen) - Math.min(...seen)), i.instance).toBeLessThan(10_000);
        expect(lastTable.split('\n').find((l) => l.startsWith(`${i.instance} `))).toContain(
          `  ${outOfTrafficCell(i)}  `,
        );
      }

      // Staged install: each release was staged while its instance served (or found staged already: 04
      // and 04d staged the target on two gateways). During the staging the server was UP in HAProxy (sampled every
      // 500 ms), and op-1's held connection to its home gateway stayed open from the start of the rollout
      // until that gateway's drain (no 1011 "gateway install changed"): only the restart closed it.
      const opHome = deviceNamed(inventory, 'op-1').instance.id;
      const rolloutFrom = Math.min(
        ...driven.report.instances.flatMap((i) => i.steps.map((s) => Date.parse(s.startedAt))),
      );
      let stagedNow = 0;
      for (const i of driven.report.instances) {
        const stage = i.steps.find((s) => s.id === 'stage');
        const drain = i.steps.find((s) => s.id === 'drain')!;
        expect(stage?.status, i.instance).toBe('ok');
        expect(stage!.detail, i.instance).toMatch(/^(already staged|staged) in .*\/openclaw\/versions\/[0-9.]+/);
        const [from, to] = [Date.parse(stage!.startedAt), Date.parse(stage!.endedAt!)];
        expect(to, i.instance).toBeLessThanOrEqual(Date.parse(drain.startedAt));
        const server = inventory.instances.find((x) => x.id === i.instance)!.lbServer;
        const during = sampler.samples.filter((s) => s.at >= from && s.at <= to);
        expect(
          during.filter((s) => s.notUp.includes(server)),
          i.instance,
        ).toEqual([]);
        if (stage!.detail!.includes('its CLI checked')) {
          stagedNow++;
          expect(during.length, `${i.instance}: samples during the staging`).toBeGreaterThan(2);
        }
        if (i.instance === opHome) {
          const closes = opClient.closes.filter((c) => c.phase === 'post-hello' && c.atMs >= rolloutFrom);
          expect(
            closes.filter((c) => c.atMs < Date.parse(drain.startedAt)),
            'op-1 closed before its drain',
          ).toEqual([]);
          expect(closes.filter((c) => c.code === 1011)).toEqual([]);
        }
      }
      // 04 and 04d staged the target on two of the three gateways already; one stages it here.
      expect(stagedNow, 'instances staged by this rollout').toBeGreaterThanOrEqual(1);

      // The end state an operator checks: every gateway runs the target from <root>/current.
      const rows = await showStat(info.haproxy.socket);
      for (const g of info.gateways) {
        expect(rows.find((r) => r.server === g.lbServer)?.status).toBe('UP');
        const status = await oc.gatewayStatus(gatewayAccess(g), { timeoutMs: 60_000 });
        expect(status.version, g.id).toBe(info.targetVersion);
        expect(await oc.currentRelease(g.root), g.id).toBe(info.targetVersion);
      }
      for (const name of ['node-1', 'op-1']) {
        const { instance, device } = deviceNamed(inventory, name);
        const list = await oc.devicesList(instance.gateway, { timeoutMs: 60_000 });
        expect(list.paired.find((d) => d.deviceId === device.deviceId)?.connected, name).toBe(true);
      }
      expect(opClient.connected).toBe(true);

      // The client window: each canary booted the target on a copy of its state before the drain and it
      // started by itself (2026.9.6 migrates a 2026.9.5 state when it starts), so no doctor --fix ran in
      // the window; the read-only doctor ran after the rejoin.
      for (const i of driven.report.instances) {
        const canary = i.steps.find((s) => s.id === 'canary');
        expect(canary?.status, i.instance).toBe('ok');
        expect(canary?.detail, i.instance).toMatch(/^ready by itself in \d+ s/);
        expect(Date.parse(canary!.endedAt!), i.instance).toBeLessThanOrEqual(
          Date.parse(i.steps.find((s) => s.id === 'drain')!.startedAt),
        );
        expect(
          i.steps.filter((s) => s.id === 'doctor-fix'),
          i.instance,
        ).toEqual([]);
        expect(i.steps.at(-1), i.instance).toMatchObject({
          id: 'doctor',
          step: 'doctor (after the rejoin)',
          status: 'ok',
        });
      }
      // A client whose home was out reconnected through HAProxy to another gateway and asked to pair there;
      // the rollout rejected every such request at its end, so no gateway holds a request made since it started.
      for (const s of driven.report.strayRequests ?? []) expect(s, s.instance).toMatchObject({ rejected: true });
      expect(await pendingSince(startedAt)).toEqual(Object.fromEntries(info.gateways.map((g) => [g.id, []])));
    },
    20 * 60_000,
  ); // three real updates; slower when the machine is busy
});

describe('a rerun right after the full rollout', () => {
  it('leaves every instance alone: plan says so, none leaves traffic, no token is rotated', async () => {
    const tokens = (l: Awaited<ReturnType<typeof oc.devicesList>>[]) =>
      l.map((x) => x.paired.map((d) => d.tokens.map((t) => t.rotatedAtMs ?? t.createdAtMs)));
    const before = await Promise.all(info.gateways.map((g) => oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 })));
    const plan = await cli('plan', '--inventory', info.inventoryPath, '--target', info.targetVersion);
    expect(plan.code, plan.out).toBe(0);
    for (const g of info.gateways)
      expect(plan.out).toContain(`${g.id}:\n  left alone: already runs ${info.targetVersion}, healthy and in traffic`);
    const sampler = haproxySampler(info);
    const id = rolloutWorkflowId(inventory.cluster);
    try {
      const started = await cli(
        'start',
        '--inventory',
        info.inventoryPath,
        '--target',
        info.targetVersion,
        '--by',
        'test',
        '--wait',
      );
      expect(started.code, started.out).toBe(0);
      expect(started.out).toContain('rollout ended: done');
    } finally {
      await sampler.stop();
    }
    const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
    for (const i of report.instances) {
      expect(i, i.instance).toMatchObject({
        alreadyOnTarget: true,
        phase: 'Done',
        versionBefore: info.targetVersion,
        versionAfter: info.targetVersion,
      });
      expect(i.steps.map((s) => s.step)).not.toContain('drain');
    }
    expect(sampler.samples.length).toBeGreaterThan(5);
    expect(sampler.maxDrained()).toBe(0);
    const after = await Promise.all(info.gateways.map((g) => oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 })));
    expect(tokens(after)).toEqual(tokens(before));
  });
});

describe('secrets', () => {
  it('no shared token and no device token appears in the histories, the worker logs or the starter output', async () => {
    // Encryption (payload codec) is off on the bed: this proves the design keeps secrets out, not the codec.
    const held = [...secretsBefore, ...(await heldSecrets(info))];
    const labels = new Set(held.map((s) => s.label.replace(/ for .*| of .*/, '')));
    // One entry per distinct value (a client's token is also in its gateway's pairing store).
    const secrets = [...new Map(held.map((x) => [x.value, x])).values()];
    expect([...labels]).toEqual(
      expect.arrayContaining(['gateway shared token', 'op-1 device token', 'node-1 device token']),
    );
    expect(historyFiles.length).toBeGreaterThanOrEqual(9);
    const sources = [
      ...(await Promise.all(
        historyFiles.map(async (f) => ({ source: f.split('/').at(-1)!, text: await readHistoryText(f) })),
      )),
      { source: 'worker logs', text: workerLogs.join('\n') },
      { source: 'starter output', text: [...starterOutput, ...watchOutput].join('\n') },
      ...rx.received.map((r, i) => ({ source: `notification ${i} to ${r.path.slice(0, 6)}`, text: r.body })),
    ];
    // The notification targets' own secrets are searched for too.
    secrets.push({ label: 'webhook secret', value: HOOK_SECRET }, { label: 'Slack webhook URL', value: SLACK_PATH });
    expect(rx.received.length).toBeGreaterThanOrEqual(2 * (inventory.instances.length + 1));
    expect(workerLogs.length).toBeGreaterThan(10);
    // The scan finds a secret where there is one (also inside a base64 payload), so zero hits means something.
    expect(findSecrets([{ source: 'planted', text: `x${secrets[1]!.value}x` }], secrets)).toHaveLength(1);
    expect(
      findSecrets(
        [{ source: 'planted', text: historyText(`{"data": "${Buffer.from(secrets[0]!.value).toString('base64')}"}`) }],
        secrets,
      ),
    ).toHaveLength(1);
    expect(findSecrets(sources, secrets)).toEqual([]);
  });
});

/** The bed's inventory with notifications to the loopback receiver: a signed webhook and a Slack message. */
async function withNotifications(): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown>;
  raw.notifications = {
    targets: [
      { kind: 'webhook', name: 'ops', url: `${rx.base}/ok`, secret: { env: 'E2E05_HOOK_SECRET' } },
      { kind: 'slack', name: 'chat', webhookUrl: { env: 'E2E05_SLACK_URL' } },
    ],
  };
  const file = join(info.dir, 'cluster-notifications.yaml');
  await writeFile(file, toYaml(raw));
  return file;
}

/** The instance's "waiting for approval" arrived, signed, with its instance, Web UI link and approve command. */
async function approvalNoticeArrived(instance: string, rolloutId: string): Promise<void> {
  const got = await pollUntil(
    `the approval notice of ${instance}`,
    async () =>
      rx.received.find(
        (r) =>
          r.path === '/ok' &&
          r.body.includes('"event":"awaiting-approval"') &&
          r.body.includes(`"instance":"${instance}"`),
      ),
    30_000,
    250,
  );
  const notice = JSON.parse(got.body) as Notice;
  expect(notice.workflowId).toBe(`${rolloutId}/${instance}`);
  expect(notice.link).toBe(
    `${info.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`${rolloutId}/${instance}`)}`,
  );
  expect(notice.commands![0]).toContain(`approve --inventory <cluster.yaml> --instance ${instance} --approver <you>`);
  const h = got.headers;
  expect(
    verifyWebhookSignature(HOOK_SECRET, h['x-signature-timestamp'] as string, got.body, h['x-signature'] as string),
  ).toBe(true);
}
