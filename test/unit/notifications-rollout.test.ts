/**
 * Notifications of a rollout, on a real local Temporal server with stub activities for the cluster
 * (test/helpers/fake-cluster.ts) and the real notification activity posting to receivers on loopback:
 * one "waiting for approval" per instance with its links and commands, a failed step waiting for a
 * decision, an instance out of traffic past the threshold, the rollout's end; a receiver that answers 500
 * and one that never answers slow down no approval, and their failures are recorded in the progress and
 * shown by `status`. The histories are saved (test-artifacts/histories) as replay fixtures of this path.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyActivities } from '../../src/activities/notify-activities.js';
import { verifyWebhookSignature } from '../../src/activities/notify/index.js';
import { progressTable } from '../../src/cli/views/status-view.js';
import { Inventory } from '../../src/shared/inventory.js';
import {
  approveRejoinUpdate,
  decideFailureUpdate,
  progressQuery,
  type RolloutProgress,
} from '../../src/shared/messages/rollout.js';
import type { Notice } from '../../src/shared/notices.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { saveHistories } from '../bed/histories.js';
import { historyText } from '../bed/secret-scan.js';
import { FakeCluster } from '../helpers/fake-cluster.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { stubEnv, stubWorker, useStubServer } from '../helpers/stub-rollout.js';

const SECRET = 'whsec-rollout-unit-5d41402abc4b2a76b9719d911017c592';
const SLACK_PATH = '/slack/T000/B000/xoxb-rollout-unit-7f8e9d';
let rx: NotificationReceiver;

// The local server and the workflows bundled once, shared by both rollouts (test/helpers/stub-rollout.ts).
useStubServer();
beforeAll(async () => {
  rx = await notificationReceiver();
  process.env.NOTIFY_ROLLOUT_SECRET = SECRET;
  process.env.NOTIFY_ROLLOUT_SLACK = `${rx.base}${SLACK_PATH}`;
}, 120_000);
afterAll(async () => {
  await rx?.close();
});

async function waitFor<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const phase = async (h: WorkflowHandle, id: string) =>
  (await h.query(progressQuery)).instances.find((i) => i.instance === id)?.phase;
const notices = () => rx.json<Notice & { source: string }>('/ok');
const noticeOf = (event: string, instance?: string) =>
  notices().find((n) => n.event === event && (!instance || n.instance === instance));

describe('a rollout with notifications', () => {
  it('tells every receiver when a human is needed and how the rollout ended; failing receivers slow nothing', async () => {
    const inv = Inventory.parse({
      cluster: 'notify',
      loadBalancer: { type: 'none' },
      temporal: { taskQueue: 'q-notify', uiUrl: 'http://localhost:8233' },
      instances: ['gw-1', 'gw-2'].map((id) => ({
        id,
        gateway: { profile: id },
        lbServer: id,
        install: { type: 'global' },
      })),
      policy: { retries: { maxAttempts: 1, initialInterval: '10ms' }, mismatchWindow: '0ms', drainDeadline: '1s' },
      notifications: {
        outOfTrafficAfter: '2s',
        targets: [
          { kind: 'webhook', name: 'ops', url: `${rx.base}/ok`, secret: { env: 'NOTIFY_ROLLOUT_SECRET' } },
          { kind: 'slack', name: 'chat', webhookUrl: { env: 'NOTIFY_ROLLOUT_SLACK' } },
          { kind: 'webhook', name: 'broken', url: `${rx.base}/fail`, secret: { env: 'NOTIFY_ROLLOUT_SECRET' } },
          { kind: 'webhook', name: 'stuck', url: `${rx.base}/hang`, secret: { env: 'NOTIFY_ROLLOUT_SECRET' } },
        ],
      },
    });
    const fake = new FakeCluster(['gw-1', 'gw-2'], '2026.9.5');
    fake.failNext('restartGateway', 'gw-2', 'gateway did not come back');
    const worker = await stubWorker('q-notify', { ...fake.activities(), ...notifyActivities });
    try {
      const h = (await stubEnv().client.workflow.start('clusterRollout', {
        taskQueue: 'q-notify',
        workflowId: 'rollout-notify',
        args: [{ inventory: inv, targetVersion: '2026.9.6', startedBy: 'carol' }],
      })) as WorkflowHandle;

      // gw-1 waits: the message says what was verified, links its workflow and gives the commands.
      await waitFor('gw-1 awaiting approval', async () => (await phase(h, 'gw-1')) === 'AwaitingApproval');
      const waiting = await waitFor('the approval notice of gw-1', () => noticeOf('awaiting-approval', 'gw-1'));
      expect(waiting).toMatchObject({
        source: 'openclaw-rollout',
        cluster: 'notify',
        workflowId: 'rollout-notify/gw-1',
        link: 'http://localhost:8233/namespaces/default/workflows/rollout-notify%2Fgw-1',
        actions: { cluster: 'notify', instance: 'gw-1' },
      });
      expect(waiting.verified).toEqual(expect.arrayContaining([expect.stringMatching(/^install 2026\.9\.6/)]));
      expect(waiting.commands![0]).toBe(
        'npm run starter -- approve --inventory <cluster.yaml> --instance gw-1 --approver <you>',
      );
      expect(waiting.text.join(' ')).toContain('May approve: any operator (not carol, who started it: four-eyes)');
      // Out of traffic past notifications.outOfTrafficAfter (2 s): one message.
      expect(await waitFor('out of traffic', () => noticeOf('out-of-traffic', 'gw-1'))).toMatchObject({
        title: 'gw-1 has been out of traffic for more than 2 s (notify)',
      });

      // The broken and the stuck receiver hold up no approval.
      const approvedAt = Date.now();
      await h.executeUpdate(approveRejoinUpdate, { args: [{ instance: 'gw-1', approver: 'alice' }] });
      await waitFor('gw-1 done', async () => (await phase(h, 'gw-1')) === 'Done');
      expect(Date.now() - approvedAt).toBeLessThan(3000);

      // gw-2's restart fails: a message says so and how to decide.
      await waitFor('gw-2 failed', async () => (await phase(h, 'gw-2')) === 'Failed');
      const failed = await waitFor('the failure notice', () => noticeOf('step-failed', 'gw-2'));
      expect(failed.title).toBe('gw-2 failed at "restart" and waits for a decision (notify)');
      expect(failed.text[0]).toContain('gateway did not come back');
      await h.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'retry', by: 'alice' }] });
      await waitFor('gw-2 awaiting approval', async () => (await phase(h, 'gw-2')) === 'AwaitingApproval');
      await waitFor('the approval notice of gw-2', () => noticeOf('awaiting-approval', 'gw-2'));
      await h.executeUpdate(approveRejoinUpdate, { args: [{ instance: 'gw-2', approver: 'alice' }] });

      const report = (await h.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const ended = noticeOf('rollout-ended')!;
      expect(ended.title).toBe('Rollout rollout-notify ended: done');
      expect(ended.text).toEqual(expect.arrayContaining(['gw-1: Done, 2026.9.5 → 2026.9.6, approved by alice']));

      // One message per event and instance: exactly one approval notice for each instance, on both good targets.
      const approvals = (list: { event: string; instance?: string }[]) =>
        list.filter((n) => n.event === 'awaiting-approval').map((n) => n.instance);
      expect(approvals(notices())).toEqual(['gw-1', 'gw-2']);
      const slack = rx.received.filter((r) => r.path === SLACK_PATH);
      expect(slack.filter((r) => r.body.includes('waits for approval to rejoin traffic'))).toHaveLength(2);
      // Every webhook body is signed with the secret; no message contains it or the Slack URL.
      for (const r of rx.received.filter((x) => x.path === '/ok'))
        expect(
          verifyWebhookSignature(
            SECRET,
            r.headers['x-signature-timestamp'] as string,
            r.body,
            r.headers['x-signature'] as string,
          ),
        ).toBe(true);
      for (const r of rx.received) expect(r.body).not.toMatch(/whsec-rollout-unit|xoxb-rollout-unit/);

      // The failures are in the progress and in `status`, and the rollout went on.
      const p: RolloutProgress = await h.query(progressQuery);
      const failures = p.notificationFailures ?? [];
      expect(failures).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            target: 'broken',
            event: 'awaiting-approval',
            instance: 'gw-1',
            error: 'broken: the receiver answered HTTP 500',
          }),
          expect.objectContaining({
            target: 'stuck',
            event: 'awaiting-approval',
            instance: 'gw-1',
            error: 'stuck: no answer within 5 s',
          }),
          expect.objectContaining({ target: 'broken', event: 'rollout-ended' }),
        ]),
      );
      expect(failures.some((f) => f.target === 'ops' || f.target === 'chat')).toBe(false);
      const last = failures.at(-1)!;
      expect(progressTable(p)).toContain(`notifications not delivered: ${failures.length}`);
      expect(progressTable(p)).toContain(
        `${last.at} ${last.event}${last.instance ? ` of ${last.instance}` : ''} to ${last.error}`,
      );

      const files = await saveHistories(
        { temporal: { address: stubEnv().address, namespace: 'default' } },
        'notified',
        ['rollout-notify', 'rollout-notify/gw-1', 'rollout-notify/gw-2'],
      );
      for (const f of files)
        expect(historyText(await readFile(f, 'utf8'))).not.toMatch(/whsec-rollout-unit|xoxb-rollout-unit/);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('tells when an instance stays out of traffic during a long install, before it waits for approval', async () => {
    const inv = Inventory.parse({
      cluster: 'notify-install',
      loadBalancer: { type: 'none' },
      temporal: { taskQueue: 'q-notify-install' },
      instances: [{ id: 'gw-1', gateway: { profile: 'gw-1' }, lbServer: 'gw-1', install: { type: 'global' } }],
      policy: { retries: { maxAttempts: 1, initialInterval: '10ms' }, mismatchWindow: '0ms', drainDeadline: '1s' },
      notifications: {
        outOfTrafficAfter: '2s',
        targets: [
          { kind: 'webhook', name: 'ops', url: `${rx.base}/install`, secret: { env: 'NOTIFY_ROLLOUT_SECRET' } },
        ],
      },
    });
    const fake = new FakeCluster(['gw-1'], '2026.9.5');
    fake.blockOn.add('installVersion gw-1');
    const worker = await stubWorker('q-notify-install', { ...fake.activities(), ...notifyActivities });
    try {
      const h = (await stubEnv().client.workflow.start('clusterRollout', {
        taskQueue: 'q-notify-install',
        workflowId: 'rollout-notify-install',
        args: [{ inventory: inv, targetVersion: '2026.9.6', startedBy: 'carol' }],
      })) as WorkflowHandle;
      // The install holds gw-1 drained: the rollout hears no phase from it until it waits, yet it tells.
      const out = await waitFor('the out-of-traffic notice during the install', () =>
        rx.json<Notice>('/install').find((n) => n.event === 'out-of-traffic'),
      );
      expect(out.title).toBe('gw-1 has been out of traffic for more than 2 s (notify-install)');
      expect(fake.calls.filter((c) => c.startsWith('installVersion gw-1'))).toHaveLength(1);
      expect(rx.json<Notice>('/install').some((n) => n.event === 'awaiting-approval')).toBe(false);
      fake.blockOn.delete('installVersion gw-1');
      await waitFor('gw-1 awaiting approval', async () => (await phase(h, 'gw-1')) === 'AwaitingApproval');
      await h.executeUpdate(approveRejoinUpdate, { args: [{ instance: 'gw-1', approver: 'alice' }] });
      expect(((await h.result()) as ClusterRolloutReport).outcome).toBe('done');
      expect(rx.json<Notice>('/install').filter((n) => n.event === 'out-of-traffic')).toHaveLength(1);
      await saveHistories({ temporal: { address: stubEnv().address, namespace: 'default' } }, 'notified-install', [
        'rollout-notify-install',
        'rollout-notify-install/gw-1',
      ]);
    } finally {
      await worker.stop();
    }
  });
});
