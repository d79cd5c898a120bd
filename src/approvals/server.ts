/**
 * `approvals-server`'s HTTP service (node:http): Slack posts each press of an Approve / Reject button of
 * a notification to POST /slack/actions. A request is taken only when Slack signed it (slack-signature.ts:
 * signature, 5-minute window, no replay); the Slack user must be mapped to an approver name in
 * notifications.slackApprovals.users; then `decide` sends the same checked Update as `approve` / `reject`
 * (allowed approvers, four-eyes, waiting state are the rollout's checks). The result goes back to the
 * thread through the press's response_url. Listens on loopback unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApprovalAction } from '../shared/notices.js';
import { parseButtonPress, type ButtonPress } from './slack-action.js';
import { SlackVerifier } from './slack-signature.js';

export const ACTIONS_PATH = '/slack/actions';
const MAX_BODY = 64 * 1024;

export interface Decision {
  ok: boolean;
  /** What the thread is told (accepted, or refused with the reason). */
  text: string;
}

export interface ApprovalsServerOptions {
  cluster: string;
  signingSecret: string;
  /** Slack user id → approver name (notifications.slackApprovals.users). */
  users: Record<string, string>;
  /** Sends the Update (approve / reject) as `approver`; never throws for a refusal. */
  decide: (action: ApprovalAction, approver: string, comment: string) => Promise<Decision>;
  host?: string;
  port?: number;
  /** Where each handled request is reported (one line, no secret). */
  log?: (line: string) => void;
  nowS?: () => number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Posts the result to the thread (Slack's response_url); a failure is logged, never thrown. */
async function answer(press: ButtonPress, text: string, log: (l: string) => void): Promise<void> {
  if (!press.responseUrl) return;
  try {
    const res = await fetch(press.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', replace_original: false, text }),
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) log(`response_url answered HTTP ${res.status}`);
  } catch (err) {
    log(`could not post to response_url: ${(err as Error).name}`);
  }
}

/** A verified, parsed press: refused (unmapped user, other cluster) or decided; the thread is told either way. */
async function handlePress(o: ApprovalsServerOptions, press: ButtonPress, log: (l: string) => void): Promise<void> {
  const { action, userId } = press;
  const approver = o.users[userId];
  let result: Decision;
  if (!approver)
    result = {
      ok: false,
      text: `Refused: Slack user <@${userId}> is not mapped to an approver (notifications.slackApprovals.users). Nothing was changed.`,
    };
  else if (action.cluster !== o.cluster)
    result = { ok: false, text: `Refused: this server approves cluster ${o.cluster}, not ${action.cluster}.` };
  else result = await o.decide(action, approver, `from Slack by <@${userId}>`);
  log(
    `${userId} (${approver ?? 'unmapped'}) ${action.decision} ${action.instance}: ${result.ok ? 'accepted' : 'refused'}`,
  );
  await answer(press, result.text, log);
}

export async function startApprovalsServer(
  o: ApprovalsServerOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const verifier = new SlackVerifier(o.signingSecret, o.nowS);
  const log = o.log ?? (() => undefined);
  const pending = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const reply = (status: number, text = '') => res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    if (req.method !== 'POST' || req.url !== ACTIONS_PATH) return reply(404, `POST ${ACTIONS_PATH} only\n`);
    readBody(req).then(
      (body) => {
        const h = (n: string) => (typeof req.headers[n] === 'string' ? req.headers[n] : undefined);
        const verdict = verifier.verify(h('x-slack-request-timestamp'), h('x-slack-signature'), body);
        if (!verdict.ok) {
          log(`refused request: ${verdict.problem}`);
          return reply(verdict.status, `${verdict.problem}\n`);
        }
        const parsed = parseButtonPress(body);
        if (!parsed.ok) return reply(400, `${parsed.problem}\n`);
        reply(200); // Slack wants an answer within 3 s; the result goes to the thread.
        const job = handlePress(o, parsed.value, log).finally(() => pending.delete(job));
        pending.add(job);
      },
      () => reply(400, 'could not read the body\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 3210, o.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}${ACTIONS_PATH}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.all(pending);
    },
  };
}
