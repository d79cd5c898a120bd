/**
 * One 3-instance rollout on the real bed for two features (one rollout instead of two: CI time):
 *
 * policy.approvals.mode canary (the release the cluster already runs, --force, so the bed does not move):
 * a person approves the canary, the second instance is promoted by the policy on its soak's evidence
 * (healthy, channels ok, no refused connect above the baseline preflight took), and the third, whose
 * paired client presents a wrong device token during its soak (a real `device token mismatch` in the
 * gateway log), is not promoted: it stays drained and a person is asked, with the reason. The decisions
 * and the evidence are in the progress, in the child workflows' results and in `status`. The inventory
 * lists no devices, so nothing is rotated: the bed's clients are not all running here.
 *
 * Notifications and approving from chat: the inventory sends to receivers on loopback (a signed webhook, a
 * Slack message, one receiver that answers 500 and one that hangs). While the canary waits,
 * approvals-server gets button presses signed as Slack signs them: a forged signature, a stale timestamp,
 * an unmapped user, a four-eyes violation and a replay are refused and change nothing; the Approve of a
 * mapped, allowed user is the canary's approval, through the same checked Update as `approve`. No secret
 * appears in any message, the history or the starter's output.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import { verifyWebhookSignature } from '../../src/activities/notify/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { startApprovalsServer } from '../../src/approvals/server.js';
import { decideWith } from '../../src/cli/commands/approvals-server.js';
import { loadInventory } from '../../src/inventory-file.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import { progressQuery } from '../../src/shared/messages/rollout.js';
import type { Notice } from '../../src/shared/notices.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { InstanceRolloutResult } from '../../src/workflows/instance-rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { saveHistories } from '../bed/histories.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { OPERATOR_SCOPES, pairStraightTo } from '../bed/clients.js';
import { bed, startWorker } from '../bed/context.js';
import { postSlackPress, slackPressBody, type PressOptions } from '../helpers/slack-press.js';
import { pollUntil, waitForInstancePhase } from '../bed/wait.js';
import { connectOnce } from '../bed/ws-client.js';
import { starterCli } from '../bed/starter.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';

const CLUSTER = 'bed-canary';
const HOOK_SECRET = 'whsec-e2e-9b74c9897bac770ffc029102a200c5de';
const SLACK_PATH = '/slack/T0BED/B0BED/e2e-incoming-webhook-c4ca4238a0b9';
const SIGNING = 'slack-signing-e2e-45c48cce2e2d7fbdea1afc51c7c6ad26';
const SLACK_USERS = { U0ALICE01: 'alice', U0TESTER1: 'test', U0BOB0001: 'bob' };

let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;
let rx: NotificationReceiver;
const output: string[] = [];

beforeAll(async () => {
  ({ info, inventory } = await bed());
  rx = await notificationReceiver();
  // The worker resolves the inventory's secret references from its environment.
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

/**
 * The bed's inventory in canary mode, `last` rolled out last (it gets the wrong token), no devices to
 * rotate, with notifications and Slack approvals.
 */
async function canaryInventory(last: string): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string; devices: unknown[] }[];
    policy: Record<string, unknown>;
  };
  raw.cluster = CLUSTER;
  raw.instances = [...raw.instances.filter((i) => i.id !== last), ...raw.instances.filter((i) => i.id === last)];
  // No rotations: the bed's clients are not all running here (05 runs them), and the soak's evidence is the point.
  for (const i of raw.instances) i.devices = [];
  raw.policy = {
    ...raw.policy,
    canary: raw.instances[0]!.id,
    approvals: { approvers: ['alice', 'bob', 'test'], mode: 'canary', soak: '15s' },
  };
  raw.notifications = {
    outOfTrafficAfter: '15s',
    targets: [
      { kind: 'webhook', name: 'ops', url: `${rx.base}/ok`, secret: { env: 'E2E_HOOK_SECRET' } },
      { kind: 'slack', name: 'chat', webhookUrl: { env: 'E2E_SLACK_URL' } },
      { kind: 'webhook', name: 'broken', url: `${rx.base}/fail`, secret: { env: 'E2E_HOOK_SECRET' } },
      { kind: 'webhook', name: 'stuck', url: `${rx.base}/hang`, secret: { env: 'E2E_HOOK_SECRET' } },
    ],
    slackApprovals: { signingSecret: { env: 'E2E_SLACK_SIGNING' }, users: SLACK_USERS },
  };
  const file = join(info.dir, 'cluster-canary.yaml');
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

/** Starts the rollout as `test`; a worker that just started is seen polling after a moment (start refuses until then). */
async function startRollout(file: string, target: string): Promise<void> {
  const started = await pollUntil(
    'start to find the worker polling',
    async () => {
      const r = await starterCli('start', '--inventory', file, '--target', target, '--by', 'test', '--force');
      return r.out.includes('no worker polls') ? undefined : r;
    },
    60_000,
    2000,
  );
  output.push(started.out);
  expect(started.code, started.out).toBe(0);
}

/** Checks the canary's awaiting-approval notice (webhook) and returns the Slack message's Approve button. */
async function approvalNotice(instance: string, childId: string): Promise<{ action_id: string; value: string }> {
  const waiting = await until('the approval notice', () =>
    rx.received.find((r) => r.path === '/ok' && r.body.includes('"event":"awaiting-approval"')),
  );
  const notice = JSON.parse(waiting.body) as Notice;
  expect(notice).toMatchObject({ cluster: CLUSTER, instance, workflowId: childId });
  expect(notice.link).toBe(`${info.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(childId)}`);
  expect(notice.verified).toEqual(expect.arrayContaining([expect.stringMatching(/^verify gateway status: healthy/)]));
  expect(notice.commands![0]).toContain(`approve --inventory <cluster.yaml> --instance ${instance} --approver <you>`);
  const h = waiting.headers;
  expect(
    verifyWebhookSignature(HOOK_SECRET, h['x-signature-timestamp'] as string, waiting.body, h['x-signature'] as string),
  ).toBe(true);
  const slack = await until('the Slack message', () =>
    rx.received.find((r) => r.path === SLACK_PATH && r.body.includes('"actions"')),
  );
  return (
    JSON.parse(slack.body) as { blocks: { type: string; elements?: { action_id: string; value: string }[] }[] }
  ).blocks.find((b) => b.type === 'actions')!.elements![0]!;
}

type Press = (
  user: string,
  opts?: PressOptions & { body?: string },
) => Promise<{ status: number; body: string; ts: number; reply: string }>;

/** A Slack button press on approvals-server, signed as Slack signs it (or not, to test the refusals). */
function presser(url: string, button: { action_id: string; value: string }): Press {
  let n = 0;
  return async (user, opts = {}) => {
    const body = opts.body ?? slackPressBody({ id: user }, button, `${rx.base}/response/${++n}`);
    const { status, ts } = await postSlackPress(url, body, SIGNING, opts);
    return { status, body, ts, reply: `/response/${n}` };
  };
}

const replyOf = (path: string) => until(`the answer on ${path}`, () => rx.json<{ text: string }>(path)[0]?.text);

/** The refused presses change nothing; the valid Approve of alice (mapped, allowed) approves the canary. */
async function approveFromSlack(press: Press, id: string, canary: string, lbServer: string): Promise<void> {
  expect((await press('U0ALICE01', { secret: 'forged-signing-secret' })).status).toBe(401);
  expect((await press('U0ALICE01', { ts: Math.floor(Date.now() / 1000) - 400 })).status).toBe(401);
  const unmapped = await press('U0MALLORY');
  expect(unmapped.status).toBe(200);
  expect(await replyOf(unmapped.reply)).toMatch(/^Refused: Slack user <@U0MALLORY> is not mapped/);
  const self = await press('U0TESTER1');
  expect(self.status).toBe(200);
  expect(await replyOf(self.reply)).toMatch(/^Refused: four-eyes: test started this rollout and cannot approve it/);
  expect((await press('U0TESTER1', { body: self.body, ts: self.ts })).status).toBe(409);
  const p = await w.client.workflow.getHandle(id).query(progressQuery);
  const waiting = p.instances.find((i) => i.instance === canary)!;
  expect(waiting).toMatchObject({ phase: 'AwaitingApproval' });
  expect(waiting.decision).toBeUndefined();
  expect((await showStat(info.haproxy.socket)).find((r) => r.server === lbServer)?.status).toMatch(/DRAIN/);

  const approvedAt = Date.now();
  const ok = await press('U0ALICE01');
  expect(ok.status).toBe(200);
  expect(await replyOf(ok.reply)).toBe(`Approved: ${canary} by alice (delivered to ${id}/${canary}).`);
  expect(Date.now() - approvedAt).toBeLessThan(10_000); // the 500 and the hanging receiver hold nothing up
}

it(
  'promotes on evidence after a person approved the canary from Slack, asks a person when a client is refused during the soak, and notifies without leaking a secret',
  async () => {
    // The gateway no bed client calls home gets the test client that presents a wrong token.
    const third = inventory.instances.find((i) => i.devices.length === 0)!;
    const [canaryInstance, secondInstance] = inventory.instances.filter((i) => i !== third);
    const [canary, second] = [canaryInstance!.id, secondInstance!.id];
    const gw3 = info.gateways.find((g) => g.id === third.id)!;
    const client = await pairStraightTo(info, gw3, 'canary-client');
    const file = await canaryInventory(third.id);
    const running = (await oc.gatewayStatus(third.gateway, { timeoutMs: 60_000 })).version!;
    const id = rolloutWorkflowId(CLUSTER);
    await startRollout(file, running);
    const server = await startApprovalsServer({
      cluster: CLUSTER,
      signingSecret: SIGNING,
      users: SLACK_USERS,
      decide: decideWith(w.client, await loadInventory(file)),
      port: 0,
    });
    try {
      await waitForInstancePhase(w.client, id, canary, 'AwaitingApproval', 8 * 60_000);
      const button = await approvalNotice(canary, `${id}/${canary}`);
      await approveFromSlack(presser(server.url, button), id, canary, canaryInstance!.lbServer);

      // The third instance soaks drained; its client presents a wrong device token: the gateway refuses it.
      await waitForInstancePhase(w.client, id, third.id, 'Soaking', 10 * 60_000);
      const refused = await connectOnce({
        url: gw3.wsUrl,
        identity: client,
        role: 'operator',
        scopes: OPERATOR_SCOPES,
        auth: { deviceToken: 'not-the-token-this-gateway-issued' },
      });
      expect(refused.kind === 'closed' && refused.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      const asked = await waitForInstancePhase(w.client, id, third.id, 'AwaitingApproval', 3 * 60_000);

      const promoted = asked.instances.find((i) => i.instance === second)!;
      expect(promoted.phase).toBe('Done');
      expect(promoted.decision).toMatchObject({ kind: 'approve', approver: 'policy', via: 'policy' });
      expect(promoted.promotion).toMatchObject({
        promoted: true,
        soakMs: 15_000,
        evidence: { healthy: true, channelsOk: true },
      });
      expect(promoted.promotion?.evidence?.baseline).not.toBeNull();
      const stopped = asked.instances.find((i) => i.instance === third.id)!;
      expect(stopped.promotion?.promoted).toBe(false);
      expect(stopped.promotion?.why).toMatch(/\d+ refused connects \(\d+ device token mismatch\) during the soak/);
      expect(stopped.decision).toBeUndefined();
      const rows = await showStat(info.haproxy.socket);
      expect(rows.find((x) => x.server === third.lbServer)?.status).toMatch(/DRAIN/);

      const status = await starterCli('status', '--inventory', file);
      output.push(status.out);
      expect(status.out).toContain('approved by policy (canary mode, on evidence)');
      expect(status.out).toContain('not promoted automatically');

      const bob = await starterCli('approve', '--inventory', file, '--instance', third.id, '--approver', 'bob');
      output.push(bob.out);
      expect(bob.code, bob.out).toBe(0);
      const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      // The policy's decision and its evidence are in the child's result, read back from its history.
      const child = (await w.client.workflow.getHandle(`${id}/${second}`).result()) as InstanceRolloutResult;
      expect(child.decision).toMatchObject({ approver: 'policy', via: 'policy' });
      expect(child.promotion?.evidence).toMatchObject({ refused: expect.any(Number), allowed: expect.any(Number) });
      expect(report.instances.find((i) => i.instance === canary)?.decision).toMatchObject({
        kind: 'approve',
        approver: 'alice',
        comment: 'from Slack by <@U0ALICE01>',
      });
      expect(report.instances.find((i) => i.instance === third.id)?.decision).toMatchObject({ approver: 'bob' });
      const after = await showStat(info.haproxy.socket);
      for (const g of info.gateways) expect(after.find((x) => x.server === g.lbServer)?.status).toBe('UP');

      await checkNotices(file, canary, third.id);
      await checkNoSecret(id, [`${id}/${canary}`, `${id}/${second}`, `${id}/${third.id}`]);
    } finally {
      await server.close();
      await w.client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
      for (const g of inventory.instances) await createLoadBalancer(inventory.loadBalancer).ready(g.lbServer);
    }
  },
  25 * 60_000,
);

/** Every event once on the good targets; the failing ones recorded and shown by status. */
async function checkNotices(file: string, canary: string, asked: string): Promise<void> {
  const events = rx.json<Notice>('/ok').map((m) => `${m.event} ${m.instance ?? ''}`.trim());
  const awaiting = events.filter((e) => e.startsWith('awaiting-approval'));
  // The canary and the instance the policy did not promote wait for a person; the promoted one never does.
  expect(awaiting.sort()).toEqual([`awaiting-approval ${asked}`, `awaiting-approval ${canary}`].sort());
  expect(events).toContain(`out-of-traffic ${canary}`); // drained for longer than outOfTrafficAfter (15 s)
  expect(events.filter((e) => e === 'rollout-ended')).toHaveLength(1);
  const status = await starterCli('status', '--inventory', file);
  output.push(status.out);
  expect(status.out).toMatch(/notifications not delivered: \d+/);
  // status lists the last five failures: the ones of the end of the rollout, to both failing receivers.
  expect(status.out).toMatch(/(awaiting-approval of .+|rollout-ended) to broken: the receiver answered HTTP 500/);
  expect(status.out).toMatch(/(awaiting-approval of .+|rollout-ended) to stuck: no answer within 5 s/);
}

/** No secret in any message, the histories (replay fixtures of this path) or the starter's output. */
async function checkNoSecret(id: string, children: string[]): Promise<void> {
  const files = await saveHistories(info, 'canary-bed', [id, ...children]);
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
}
