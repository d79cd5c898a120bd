/**
 * Notification delivery (src/activities/notify/) against a receiver on loopback: the webhook's JSON and
 * its X-Signature (HMAC-SHA256 over timestamp + body) verify with the secret, the Slack message is Block
 * Kit with Approve / Reject buttons, secrets come from references and appear in no message, and a
 * receiver that answers 500, 404 or nothing fails the send the way the retry policy expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverNotice, verifyWebhookSignature } from '../../src/activities/notify/index.js';
import { ConfigurationError, TransientError } from '../../src/shared/errors.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, type Notice } from '../../src/shared/notices.js';
import { Inventory } from '../../src/shared/inventory.js';
import { formatIssues } from '../../src/shared/inventory.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';

const SECRET = 'whsec-unit-0123456789abcdef0123456789';
let rx: NotificationReceiver;

beforeAll(async () => {
  rx = await notificationReceiver();
  process.env.NOTIFY_UNIT_SECRET = SECRET;
  process.env.NOTIFY_UNIT_SLACK_URL = `${rx.base}/slack/T000/B000/xoxb-secret-path-123456`;
});
afterAll(async () => {
  await rx?.close();
});

const notice: Notice = {
  event: 'awaiting-approval',
  cluster: 'prod',
  workflowId: 'rollout-prod/gw-2',
  instance: 'gw-2',
  title: 'gw-2 waits for approval to rejoin traffic (prod)',
  text: ['Rollout rollout-prod: gw-2 runs 2026.9.6.'],
  verified: ['restart: runs 2026.9.6', 'verify channels: healthy'],
  link: 'http://localhost:8233/namespaces/default/workflows/rollout-prod%2Fgw-2',
  commands: ['npm run starter -- approve --inventory <cluster.yaml> --instance gw-2 --approver <you>'],
  actions: { cluster: 'prod', instance: 'gw-2' },
  at: '2026-11-24T10:00:00.000Z',
};

describe('the webhook', () => {
  it('posts the notice as JSON with a signature the secret verifies', async () => {
    const target = { kind: 'webhook' as const, url: `${rx.base}/ok`, secret: { env: 'NOTIFY_UNIT_SECRET' } };
    expect(await deliverNotice(target, 'hook', notice, { timeoutMs: 2000 })).toEqual({ target: 'hook', status: 200 });
    const got = rx.received.filter((r) => r.path === '/ok').at(-1)!;
    expect(JSON.parse(got.body)).toMatchObject({
      source: 'openclaw-rollout',
      event: 'awaiting-approval',
      instance: 'gw-2',
    });
    const ts = got.headers['x-signature-timestamp'] as string;
    const sig = got.headers['x-signature'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(verifyWebhookSignature(SECRET, ts, got.body, sig)).toBe(true);
    expect(verifyWebhookSignature('another-secret', ts, got.body, sig)).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, got.body.replace('gw-2', 'gw-3'), sig)).toBe(false);
    expect(got.body).not.toContain(SECRET);
  });

  it('a receiver that answers 500 or never answers is a retryable failure; 404 is a configuration error (not retried)', async () => {
    const at = (path: string) => ({
      kind: 'webhook' as const,
      url: `${rx.base}${path}`,
      secret: { env: 'NOTIFY_UNIT_SECRET' },
    });
    await expect(deliverNotice(at('/fail'), 'hook', notice, { timeoutMs: 2000 })).rejects.toThrow(
      new TransientError('hook: the receiver answered HTTP 500'),
    );
    const started = Date.now();
    await expect(deliverNotice(at('/hang'), 'hook', notice, { timeoutMs: 500 })).rejects.toThrow(
      new TransientError('hook: no answer within 0.5 s'),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(deliverNotice(at('/gone'), 'hook', notice, { timeoutMs: 2000 })).rejects.toThrow(
      /hook: the receiver refused the message with HTTP 404; check the target's URL and secret/,
    );
    await expect(deliverNotice(at('/gone'), 'hook', notice, { timeoutMs: 2000 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    const refusing = await notificationReceiver();
    await refusing.close(); // nobody listens there now
    await expect(
      deliverNotice({ ...at('/ok'), url: `${refusing.base}/ok` }, 'hook', notice, { timeoutMs: 2000 }),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it('an unset secret names the field and the variable', async () => {
    const target = { kind: 'webhook' as const, url: `${rx.base}/ok`, secret: { env: 'NOTIFY_UNIT_UNSET' } };
    await expect(deliverNotice(target, 'hook', notice, { timeoutMs: 2000 })).rejects.toThrow(ConfigurationError);
    await expect(deliverNotice(target, 'hook', notice, { timeoutMs: 2000 })).rejects.toThrow(
      /notifications\.targets \(hook\)\.secret: environment variable NOTIFY_UNIT_UNSET is not set/,
    );
  });
});

describe('the Slack message', () => {
  it('is Block Kit with what was verified, the Web UI link, the command and the Approve / Reject buttons', async () => {
    const target = { kind: 'slack' as const, webhookUrl: { env: 'NOTIFY_UNIT_SLACK_URL' } };
    await deliverNotice(target, 'chat', notice, { timeoutMs: 2000 });
    const got = rx.received.filter((r) => r.path.startsWith('/slack')).at(-1)!;
    const msg = JSON.parse(got.body) as {
      text: string;
      blocks: { type: string; elements?: Record<string, unknown>[] }[];
    };
    expect(msg.text).toBe(notice.title);
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'actions', 'context']);
    expect(got.body).toContain('restart: runs 2026.9.6');
    expect(got.body).toContain(`<${notice.link}|Open in the Temporal Web UI>`);
    expect(got.body).toContain('approve --inventory <cluster.yaml> --instance gw-2');
    const buttons = msg.blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => [b.action_id, JSON.parse(b.value as string)])).toEqual([
      [APPROVE_ACTION_ID, { decision: 'approve', cluster: 'prod', instance: 'gw-2' }],
      [REJECT_ACTION_ID, { decision: 'reject', cluster: 'prod', instance: 'gw-2' }],
    ]);
    // The incoming-webhook URL is a secret: it is where the message goes, never in it.
    expect(got.body).not.toContain('xoxb-secret-path');
  });
});

describe('notifications in the inventory', () => {
  const base = {
    cluster: 'c',
    loadBalancer: { type: 'none' },
    instances: [{ id: 'gw-1', gateway: { profile: 'gw-1' }, lbServer: 'gw1', install: { type: 'global' } }],
  };
  it('takes webhook and slack targets with secret references, and Slack users for approvals-server', () => {
    const inv = Inventory.parse({
      ...base,
      notifications: {
        targets: [
          { kind: 'webhook', name: 'ops', url: 'https://hooks.internal/x', secret: { env: 'HOOK_SECRET' } },
          { kind: 'slack', webhookUrl: { file: '/etc/openclaw-rollout/slack-url' } },
        ],
        slackApprovals: { signingSecret: { env: 'SLACK_SIGNING_SECRET' }, users: { U024BE7LH: 'alice' } },
      },
    });
    expect(inv.notifications?.outOfTrafficAfter).toBe(1_800_000);
  });
  it('refuses an inline secret or Slack URL, naming the field', () => {
    const problems = (notifications: unknown) => {
      const r = Inventory.safeParse({ ...base, notifications });
      return r.success ? [] : formatIssues(r.error);
    };
    expect(problems({ targets: [{ kind: 'webhook', url: 'https://x', secret: 'hunter2' }] })).toEqual([
      expect.stringMatching(/^notifications\.targets\[0\]\.secret: expected a secret reference/),
    ]);
    expect(problems({ targets: [{ kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/x' }] })).toEqual([
      expect.stringMatching(/^notifications\.targets\[0\]\.webhookUrl: expected a secret reference/),
    ]);
    expect(problems({ targets: [{ kind: 'email' }] })[0]).toMatch(/^notifications\.targets\[0\].*kind: "webhook"/);
    expect(
      problems({
        targets: [{ kind: 'slack', webhookUrl: { env: 'X' } }],
        slackApprovals: { signingSecret: { env: 'S' }, users: { alice: 'alice' } },
      })[0],
    ).toMatch(/^notifications\.slackApprovals\.users\.alice: "alice" is not a Slack user id/);
  });
});
