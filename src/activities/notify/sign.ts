/**
 * The webhook signature: `X-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the
 * timestamp (Unix seconds) in `X-Signature-Timestamp`, so a receiver can check both who sent the body
 * and that it is fresh. `verifyWebhookSignature` is what a receiver runs (the tests run it too).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-signature-timestamp';

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Whether `signature` is the body's signature with `secret` at `timestamp` (constant-time compare). */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
