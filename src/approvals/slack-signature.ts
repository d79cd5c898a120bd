/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>` with
 * `X-Slack-Request-Timestamp` in Unix seconds. A request is accepted only with a valid signature, a
 * timestamp within 5 minutes of now, and a signature not seen before (no replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_WINDOW_S = 300;

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export type Verdict = { ok: true } | { ok: false; status: number; problem: string };

/** Checks signature, freshness and replay; remembers accepted signatures for the window. */
export class SlackVerifier {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly secret: string,
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  verify(timestamp: string | undefined, signature: string | undefined, rawBody: string): Verdict {
    if (!timestamp || !signature || !/^\d+$/.test(timestamp))
      return { ok: false, status: 401, problem: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
    const now = this.nowS();
    if (Math.abs(now - Number(timestamp)) > SLACK_WINDOW_S)
      return { ok: false, status: 401, problem: `timestamp ${timestamp} is outside the 5-minute window` };
    const expected = Buffer.from(slackSignature(this.secret, timestamp, rawBody));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return {
        ok: false,
        status: 401,
        problem: 'the signature does not match (wrong signing secret, or an altered body)',
      };
    for (const [sig, at] of this.seen) if (now - at > SLACK_WINDOW_S) this.seen.delete(sig);
    if (this.seen.has(signature))
      return { ok: false, status: 409, problem: 'this request was already received (replay)' };
    this.seen.set(signature, Number(timestamp));
    return { ok: true };
  }
}
