/**
 * Notifications and approving from chat, on the real bed: a one-instance rollout (a gateway without paired
 * clients, to the release it runs: the update steps run for real and leave the bed where it was) whose
 * inventory sends to receivers on loopback: a signed webhook, a Slack message, one receiver that answers
 * 500 and one that hangs. While the instance waits, approvals-server gets button presses signed as Slack
 * signs them: a forged signature, a stale timestamp, an unmapped user, a four-eyes violation and a replay
 * are refused and change nothing; the Approve of a mapped, allowed user rejoins the instance through the
 * same checked Update as `approve`. No secret appears in any message, the history or the starter's output.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/activities/notify/index.js';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { startApprovalsServer } from '../../src/approvals/server.js';
import { slackSignature } from '../../src/approvals/slack-signature.js';
import { decideWith } from '../../src/cli/commands/approvals-server.js';
import { loadInventory } from '../../src/inventory-file.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { progressQuery } from '../../src/shared/messages/rollout.js';
import type { Notice } from '../../src/shared/notices.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { bed, startWorker } from '../bed/context.js';
import { saveHistories } from '../bed/histories.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { starterCli } from '../bed/starter.js';
import { pollUntil, waitForInstancePhase } from '../bed/wait.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';

const HOOK_SECRET = 'whsec-e2e-9b74c9897bac770ffc029102a200c5de';
const SLACK_PATH = '/slack/T0BED/B0BED/e2e-incoming-webhook-c4ca4238a0b9';
const SIGNING = 'slack-signing-e2e-45c48cce2e2d7fbdea1afc51c7c6ad26';
const CLUSTER = 'bed-notify';

let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;
let rx: NotificationReceiver;
const output: string[] = [];

beforeAll(async () => {
  ({ info, inventory } = await bed());
  rx = await notificationReceiver();
  Object.assign(process.env, {
    E2E_HOOK_SECRET: HOOK_SECRET,
    E2E_SLACK_URL: `${rx.base}${SLACK_PATH}`,
    E2E_SLACK_SIGNING: SIGNING,
  });
  w = await startWorker(info, inventory.temporal.taskQueue);
});
afterAll(async () => {
  await w?.stop();
  await rx?.close();
});

/** The bed's inventory for one gateway without clients, as cluster bed-notify, with notifications. */
async function notifyingInventory(instance: string): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string }[];
    policy: Record<string, unknown>;
  };
  raw.cluster = CLUSTER;
  raw.instances = raw.instances.filter((i) => i.id === instance);
  raw.policy = { ...raw.policy, approvals: { approvers: ['alice', 'test'] } };
  raw.notifications = {
    outOfTrafficAfter: '15s',
    targets: [
      { kind: 'webhook', name: 'ops', url: `${rx.base}/ok`, secret: { env: 'E2E_HOOK_SECRET' } },
      { kind: 'slack', name: 'chat', webhookUrl: { env: 'E2E_SLACK_URL' } },
      { kind: 'webhook', name: 'broken', url: `${rx.base}/fail`, secret: { env: 'E2E_HOOK_SECRET' } },
      { kind: 'webhook', name: 'stuck', url: `${rx.base}/hang`, secret: { env: 'E2E_HOOK_SECRET' } },
    ],
    slackApprovals: { signingSecret: { env: 'E2E_SLACK_SIGNING' }, users: { U0ALICE01: 'alice', U0TESTER1: 'test' } },
  };
  const file = join(info.dir, 'cluster-notify.yaml');
  await writeFile(file, toYaml(raw));
  return file;
}

async function until<T>(what: string, get: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('notifications and approving from Slack', () => {
  it(
    'sends signed messages when the instance waits, refuses forged, stale, unmapped, four-eyes and replayed presses, and rejoins on a valid Approve',
    async () => {
      const x = inventory.instances.find((i) => i.devices.length === 0)!;
      const file = await notifyingInventory(x.id);
      const id = rolloutWorkflowId(CLUSTER);
      const childId = `${id}/${x.id}`;
      // A worker that just started is seen polling after a moment: `start` refuses until then (nothing started).
      const started = await pollUntil(
        'start to find the worker polling',
        async () => {
          const r = await starterCli(
            'start',
            '--inventory',
            file,
            '--target',
            info.fromVersion,
            '--by',
            'test',
            '--force',
          );
          return r.out.includes('no worker polls') ? undefined : r;
        },
        60_000,
        2000,
      );
      output.push(started.out);
      expect(started.code, started.out).toBe(0);
      const server = await startApprovalsServer({
        cluster: CLUSTER,
        signingSecret: SIGNING,
        users: { U0ALICE01: 'alice', U0TESTER1: 'test' },
        decide: decideWith(w.client, await loadInventory(file)),
        port: 0,
      });
      try {
        await waitForInstancePhase(w.client, id, x.id, 'AwaitingApproval', 8 * 60_000);
        // The webhook: the right instance and links, signed with the secret.
        const waiting = await until('the approval notice', () =>
          rx.received.find((r) => r.path === '/ok' && r.body.includes('"event":"awaiting-approval"')),
        );
        const notice = JSON.parse(waiting.body) as Notice;
        expect(notice).toMatchObject({ cluster: CLUSTER, instance: x.id, workflowId: childId });
        expect(notice.link).toBe(`${info.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(childId)}`);
        expect(notice.verified).toEqual(
          expect.arrayContaining([expect.stringMatching(/^verify gateway status: healthy/)]),
        );
        expect(notice.commands![0]).toContain(`approve --inventory <cluster.yaml> --instance ${x.id} --approver <you>`);
        const h = waiting.headers;
        expect(
          verifyWebhookSignature(
            HOOK_SECRET,
            h['x-signature-timestamp'] as string,
            waiting.body,
            h['x-signature'] as string,
          ),
        ).toBe(true);
        // The Slack message's Approve button, whose value Slack posts back.
        const slack = await until('the Slack message', () =>
          rx.received.find((r) => r.path === SLACK_PATH && r.body.includes('"actions"')),
        );
        const approveButton = (
          JSON.parse(slack.body) as { blocks: { type: string; elements?: { action_id: string; value: string }[] }[] }
        ).blocks.find((b) => b.type === 'actions')!.elements![0]!;

        let n = 0;
        const press = async (user: string, opts: { ts?: number; secret?: string; body?: string } = {}) => {
          const body =
            opts.body ??
            new URLSearchParams({
              payload: JSON.stringify({
                type: 'block_actions',
                user: { id: user },
                actions: [approveButton],
                response_url: `${rx.base}/response/${++n}`,
              }),
            }).toString();
          const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
          const res = await fetch(server.url, {
            method: 'POST',
            headers: {
              'x-slack-request-timestamp': ts,
              'x-slack-signature': slackSignature(opts.secret ?? SIGNING, ts, body),
            },
            body,
          });
          return { status: res.status, body, ts: Number(ts), reply: `/response/${n}` };
        };
        const replyOf = (path: string) =>
          until(`the answer on ${path}`, () => rx.json<{ text: string }>(path)[0]?.text);

        expect((await press('U0ALICE01', { secret: 'forged-signing-secret' })).status).toBe(401);
        expect((await press('U0ALICE01', { ts: Math.floor(Date.now() / 1000) - 400 })).status).toBe(401);
        const unmapped = await press('U0MALLORY');
        expect(unmapped.status).toBe(200);
        expect(await replyOf(unmapped.reply)).toMatch(/^Refused: Slack user <@U0MALLORY> is not mapped/);
        const self = await press('U0TESTER1');
        expect(self.status).toBe(200);
        expect(await replyOf(self.reply)).toMatch(
          /^Refused: four-eyes: test started this rollout and cannot approve it/,
        );
        expect((await press('U0TESTER1', { body: self.body, ts: self.ts })).status).toBe(409);
        const p = await w.client.workflow.getHandle(id).query(progressQuery);
        expect(p.instances[0]).toMatchObject({ phase: 'AwaitingApproval' });
        expect(p.instances[0]!.decision).toBeUndefined();
        expect((await showStat(info.haproxy.socket)).find((r) => r.server === x.lbServer)?.status).toMatch(/DRAIN/);

        // A valid Approve from a mapped, allowed user: the instance rejoins; the thread says so.
        const approvedAt = Date.now();
        const ok = await press('U0ALICE01');
        expect(ok.status).toBe(200);
        expect(await replyOf(ok.reply)).toBe(`Approved: ${x.id} by alice (delivered to ${childId}).`);
        expect(Date.now() - approvedAt).toBeLessThan(10_000); // the 500 and the hanging receiver hold nothing up
        const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
        expect(report.outcome).toBe('done');
        expect(report.instances[0]!.decision).toMatchObject({
          kind: 'approve',
          approver: 'alice',
          comment: 'from Slack by <@U0ALICE01>',
        });
        expect((await showStat(info.haproxy.socket)).find((r) => r.server === x.lbServer)?.status).toBe('UP');

        // Every event once on the good targets; the failing ones recorded and shown by status.
        const events = rx.json<Notice>('/ok').map((m) => `${m.event} ${m.instance ?? ''}`.trim());
        expect(events.filter((e) => e.startsWith('awaiting-approval'))).toEqual([`awaiting-approval ${x.id}`]);
        expect(events).toContain(`out-of-traffic ${x.id}`); // drained for longer than outOfTrafficAfter (15 s)
        expect(events.filter((e) => e === 'rollout-ended')).toHaveLength(1);
        const status = await starterCli('status', '--inventory', file);
        output.push(status.out);
        expect(status.out).toMatch(/notifications not delivered: \d+/);
        expect(status.out).toContain(`awaiting-approval of ${x.id} to broken: the receiver answered HTTP 500`);

        // No secret in any message, the history or the starter's output.
        const files = await saveHistories(info, 'notified-bed', [id, childId]);
        const secrets = [
          ...(await heldSecrets(info)),
          { label: 'webhook secret', value: HOOK_SECRET },
          { label: 'Slack webhook URL', value: SLACK_PATH },
          { label: 'Slack signing secret', value: SIGNING },
        ];
        const sources = [
          ...rx.received.map((r) => ({ source: `message to ${r.path.slice(0, 8)}`, text: r.body })),
          ...(await Promise.all(files.map(async (f) => ({ source: f, text: await readHistoryText(f) })))),
          { source: 'starter output', text: output.join('\n') },
        ];
        expect(rx.received.length).toBeGreaterThan(6);
        expect(findSecrets([{ source: 'planted', text: `x${SIGNING}x` }], secrets)).toHaveLength(1);
        expect(findSecrets(sources, secrets)).toEqual([]);
      } finally {
        await server.close();
        await w.client.workflow
          .getHandle(id)
          .terminate('test cleanup')
          .catch(() => undefined);
        const { createLoadBalancer } = await import('../../src/activities/load-balancer/index.js');
        await createLoadBalancer(inventory.loadBalancer).ready(x.lbServer);
      }
    },
    15 * 60_000,
  );
});
