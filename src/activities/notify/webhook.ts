/**
 * The generic webhook: the notice as JSON (`{"source": "openclaw-rollout", ...notice}`), POSTed with an
 * HMAC-SHA256 signature over the timestamp and the body (sign.ts).
 */
import type { Notice } from '../../shared/notices.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './sign.js';

export function webhookBody(notice: Notice): string {
  return JSON.stringify({ source: 'openclaw-rollout', ...notice });
}

export function webhookHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body) };
}
