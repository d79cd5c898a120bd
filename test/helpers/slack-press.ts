/**
 * A Slack button press on the approvals server, as Slack sends it: a form body holding the
 * block_actions payload, signed with the app's signing secret ("v0:<timestamp>:<body>"). The options
 * forge a signature, age the timestamp or send a given signature, to test the refusals.
 */
import { slackSignature } from '../../src/approvals/slack-signature.js';

export interface PressOptions {
  /** Unix seconds (default now). */
  ts?: number;
  /** Sign with this secret instead of the app's. */
  secret?: string;
  /** Send this signature as it is. */
  sig?: string;
}

/** The form body of a press of `button` by the Slack user `user`, answered on `responseUrl`. */
export function slackPressBody(
  user: { id: string; username?: string },
  button: { action_id: string; value: string },
  responseUrl: string,
): string {
  const payload = { type: 'block_actions', user, actions: [button], response_url: responseUrl };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Posts `body` to the approvals server at `url`, signed with `signing` unless the options say otherwise. */
export async function postSlackPress(
  url: string,
  body: string,
  signing: string,
  opts: PressOptions = {},
): Promise<{ status: number; text: string; ts: number }> {
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': opts.sig ?? slackSignature(opts.secret ?? signing, ts, body),
    },
    body,
  });
  return { status: res.status, text: await res.text(), ts: Number(ts) };
}
