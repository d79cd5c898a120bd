/**
 * `notifications` in the inventory: where the rollout says that a human is needed (a webhook with an
 * HMAC signature, or a Slack incoming webhook), after how long an instance out of traffic is worth a
 * message, and how Slack users map to approver names for `approvals-server`. Every URL that carries a
 * credential and every signing key is a secret reference, resolved on the worker's host.
 */
import { z } from 'zod';
import { Duration, SecretRef } from './fields.js';

const targetName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,40}$/, { message: 'name must be 1-40 chars of letters, digits, ".", "_" or "-"' });

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, {
  message: 'url must start with http:// or https:// (a URL that carries a token: give it as { env } or { file })',
});

export const WebhookTarget = z
  .object({
    kind: z.literal('webhook'),
    /** How progress and `status` name this target (default: webhook-<n>). */
    name: targetName.optional(),
    /** Where the JSON is POSTed: a URL, or a secret reference when the URL itself carries a token. */
    url: z.union([httpUrl, SecretRef], {
      error: 'url must be an http(s) URL or a secret reference { env: NAME } / { file: PATH }',
    }),
    /** The HMAC-SHA256 key of the X-Signature header (over `<timestamp>.<body>`). */
    secret: SecretRef,
  })
  .strict();

export const SlackTarget = z
  .object({
    kind: z.literal('slack'),
    name: targetName.optional(),
    /** The incoming-webhook URL (https://hooks.slack.com/services/...): a secret, so always a reference. */
    webhookUrl: SecretRef,
  })
  .strict();

export const NotificationTarget = z.discriminatedUnion('kind', [WebhookTarget, SlackTarget], {
  error: 'a notification target needs kind: "webhook" (url + secret) or kind: "slack" (webhookUrl)',
});

/** Slack users who may press Approve / Reject, by their Slack user id (U…/W…), mapped to approver names. */
export const SlackApprovals = z
  .object({
    /** The Slack app's signing secret (Basic Information → Signing Secret). */
    signingSecret: SecretRef,
    users: z
      .record(z.string(), z.string().trim().min(1, { message: 'the approver name must not be empty' }))
      .superRefine((users, ctx) => {
        for (const id of Object.keys(users))
          if (!/^[UW][A-Z0-9]{2,}$/.test(id))
            ctx.addIssue({
              code: 'custom',
              path: [id],
              message: `"${id}" is not a Slack user id (like U024BE7LH: the member id in the user's Slack profile)`,
            });
      }),
  })
  .strict();

export const Notifications = z
  .object({
    targets: z.array(NotificationTarget).min(1, { message: 'list at least one target (kind: webhook or slack)' }),
    /** An instance out of traffic this long gets one message (default 30m). */
    outOfTrafficAfter: Duration.default(1_800_000),
    /** For `approvals-server`: who a Slack user is when they press a button. */
    slackApprovals: SlackApprovals.optional(),
  })
  .strict();

export type NotificationTarget = z.output<typeof NotificationTarget>;
export type NotificationsConfig = z.output<typeof Notifications>;
