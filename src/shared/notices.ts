/**
 * What a notification says, as the workflows build it (deterministic text, never a secret): the event,
 * where, what was verified, the Web UI link and the commands that answer it. The activities render it
 * for each target kind (src/activities/notify/). Workflow-safe: no I/O.
 */

export type NoticeEvent = 'awaiting-approval' | 'step-failed' | 'repair-waiting' | 'out-of-traffic' | 'rollout-ended';

export interface Notice {
  event: NoticeEvent;
  cluster: string;
  /** The workflow this is about (rollout, instance child or repair). */
  workflowId: string;
  instance?: string;
  /** One line: what happened and what is needed. */
  title: string;
  /** Short paragraphs (plain text with `code` spans). */
  text: string[];
  /** What was verified before asking (awaiting approval). */
  verified?: string[];
  /** The workflow's page in the Temporal Web UI, when the inventory names temporal.uiUrl. */
  link?: string;
  /** The commands that answer it (approve / reject / decide). */
  commands?: string[];
  /** Buttons a chat may offer: approve / reject of this instance's return to traffic (approvals-server). */
  actions?: { instance: string; cluster: string };
  /** Workflow time of the event (ISO). */
  at: string;
}

/** A notification that could not be delivered after its retries, as progress records it (no secret in it). */
export interface NotificationFailure {
  target: string;
  event: NoticeEvent;
  instance?: string;
  error: string;
  at: string;
}

/** The Slack button values approvals-server reads back: which decision, for which instance of which cluster. */
export interface ApprovalAction {
  decision: 'approve' | 'reject';
  cluster: string;
  instance: string;
}

export const APPROVE_ACTION_ID = 'openclaw_approve_rejoin';
export const REJECT_ACTION_ID = 'openclaw_reject_rejoin';

/** The Web UI page of a workflow (the same form as the starter's uiLink). */
export function workflowLink(uiUrl: string | undefined, namespace: string, workflowId: string): string | undefined {
  return uiUrl
    ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
}

/** A target's name in progress and `status`: its own, else its kind and position (webhook-1). */
export const targetLabel = (t: { name?: string; kind: string }, index: number) => t.name ?? `${t.kind}-${index + 1}`;
