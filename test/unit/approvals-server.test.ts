/**
 * approvals-server's HTTP side with requests signed as Slack signs them (v0 HMAC-SHA256 of
 * "v0:<timestamp>:<body>"): a valid press from a mapped user reaches `decide` as that approver and the
 * thread (response_url) gets the result; a forged signature, a stale timestamp, a replay and an unmapped
 * user are refused and reach nothing. (The rollout's own checks, four-eyes included, run on the real bed:
 * test/e2e/04g-notifications.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalsServer } from '../../src/approvals/server.js';
import { APPROVE_ACTION_ID, type ApprovalAction } from '../../src/shared/notices.js';
import { parseListen } from '../../src/cli/commands/approvals-server.js';
import { notificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { postSlackPress, slackPressBody, type PressOptions } from '../helpers/slack-press.js';

const SIGNING = 'slack-signing-unit-8f3a9c1d2e4b5a6f7081';
const decided: { action: ApprovalAction; approver: string; comment: string }[] = [];
let rx: NotificationReceiver;
let server: Awaited<ReturnType<typeof startApprovalsServer>>;

beforeAll(async () => {
  rx = await notificationReceiver();
  server = await startApprovalsServer({
    cluster: 'prod',
    signingSecret: SIGNING,
    users: { U0ALICE01: 'alice' },
    port: 0,
    decide: async (action, approver, comment) => {
      decided.push({ action, approver, comment });
      return { ok: true, text: `Approved: ${action.instance} by ${approver}.` };
    },
  });
});
afterAll(async () => {
  await server?.close();
  await rx?.close();
});

const pressBody = (user: string, n: number): string =>
  slackPressBody(
    { id: user, username: user.toLowerCase() },
    { action_id: APPROVE_ACTION_ID, value: JSON.stringify({ decision: 'approve', cluster: 'prod', instance: 'gw-1' }) },
    `${rx.base}/response/${n}`,
  );

const post = async (body: string, opts: PressOptions = {}) => {
  const { status, text } = await postSlackPress(server.url, body, SIGNING, opts);
  return { status, text };
};

async function responseTo(n: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const got = rx.json<{ text: string }>(`/response/${n}`);
    if (got.length) return got[0]!.text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no answer on response_url ${n}`);
}

describe('approvals-server', () => {
  it('listens on loopback by default', () => {
    expect(parseListen(undefined)).toEqual({ host: '127.0.0.1', port: 3210 });
    expect(parseListen('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(() => parseListen('here')).toThrow(/--listen must be host:port/);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/slack\/actions$/);
  });

  it('refuses a forged signature, a stale timestamp and a replay; nothing reaches the rollout', async () => {
    const forged = await post(pressBody('U0ALICE01', 1), { secret: 'not-the-signing-secret' });
    expect(forged).toEqual({ status: 401, text: expect.stringContaining('signature does not match') });
    const stale = await post(pressBody('U0ALICE01', 2), { ts: Math.floor(Date.now() / 1000) - 301 });
    expect(stale).toEqual({ status: 401, text: expect.stringContaining('outside the 5-minute window') });
    const unsigned = await post(pressBody('U0ALICE01', 3), { sig: '' });
    expect(unsigned.status).toBe(401);
    expect(decided).toEqual([]);

    const body = pressBody('U0ALICE01', 4);
    const ts = Math.floor(Date.now() / 1000);
    expect((await post(body, { ts })).status).toBe(200);
    expect(await responseTo(4)).toBe('Approved: gw-1 by alice.');
    expect(await post(body, { ts })).toEqual({ status: 409, text: expect.stringContaining('replay') });
    expect(decided).toEqual([
      {
        action: { decision: 'approve', cluster: 'prod', instance: 'gw-1' },
        approver: 'alice',
        comment: 'from Slack by <@U0ALICE01>',
      },
    ]);
  });

  it('refuses a Slack user the inventory does not map, and says so in the thread', async () => {
    expect((await post(pressBody('U0MALLORY', 5))).status).toBe(200);
    expect(await responseTo(5)).toMatch(
      /^Refused: Slack user <@U0MALLORY> is not mapped to an approver.*Nothing was changed/,
    );
    expect(decided).toHaveLength(1);
  });

  it('answers 404 elsewhere and 400 for a body that is not a button press', async () => {
    expect((await fetch(server.url.replace('/slack/actions', '/'), { method: 'POST' })).status).toBe(404);
    expect((await post('payload=%7B%22type%22%3A%22view_submission%22%7D')).status).toBe(400);
  });
});
