/**
 * Delivers one notice to one target: resolves the target's secrets on this host (registered with the
 * redactor at once), renders the notice for its kind, POSTs it with a deadline.
 */
import type { NotificationTarget } from '../../shared/inventory.js';
import type { Notice } from '../../shared/notices.js';
import { resolveSecret } from '../host/secrets.js';
import { postJson } from './post.js';
import { slackMessage } from './slack.js';
import { webhookBody, webhookHeaders } from './webhook.js';

export { verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './sign.js';
export { slackMessage } from './slack.js';
export { webhookBody } from './webhook.js';

export interface Delivery {
  target: string;
  status: number;
}

export async function deliverNotice(
  target: NotificationTarget,
  label: string,
  notice: Notice,
  ctx: { timeoutMs: number; signal?: AbortSignal; nowMs?: number },
): Promise<Delivery> {
  const field = `notifications.targets (${label})`;
  if (target.kind === 'slack') {
    const url = await resolveSecret(target.webhookUrl, `${field}.webhookUrl`);
    const body = JSON.stringify(slackMessage(notice));
    const res = await postJson(label, { url, body, headers: {}, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    return { target: label, status: res.status };
  }
  const url = typeof target.url === 'string' ? target.url : await resolveSecret(target.url, `${field}.url`);
  const secret = await resolveSecret(target.secret, `${field}.secret`);
  const body = webhookBody(notice);
  const headers = webhookHeaders(secret, body, ctx.nowMs ?? Date.now());
  const res = await postJson(label, { url, body, headers, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  return { target: label, status: res.status };
}
