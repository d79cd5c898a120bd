/**
 * What a Slack button press asks (an interactive `block_actions` payload, form field `payload`): which
 * user pressed Approve or Reject of which instance, and where to answer (response_url). Anything else
 * is refused with what was wrong.
 */
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, type ApprovalAction } from '../shared/notices.js';

export interface ButtonPress {
  userId: string;
  userName?: string;
  action: ApprovalAction;
  responseUrl?: string;
}

type Parsed = { ok: true; value: ButtonPress } | { ok: false; problem: string };

export function parseButtonPress(rawBody: string): Parsed {
  const payload = new URLSearchParams(rawBody).get('payload');
  if (!payload) return { ok: false, problem: 'expected a form body with a payload field (Slack interactivity)' };
  let p: {
    type?: string;
    user?: { id?: string; username?: string };
    actions?: { action_id?: string; value?: string }[];
    response_url?: string;
  };
  try {
    p = JSON.parse(payload) as typeof p;
  } catch {
    return { ok: false, problem: 'payload is not JSON' };
  }
  if (p.type !== 'block_actions') return { ok: false, problem: `payload type ${String(p.type)} is not block_actions` };
  const press = p.actions?.[0];
  if (!p.user?.id || !press) return { ok: false, problem: 'payload has no user or no action' };
  if (press.action_id !== APPROVE_ACTION_ID && press.action_id !== REJECT_ACTION_ID)
    return { ok: false, problem: `unknown action ${String(press.action_id)}` };
  let value: Partial<ApprovalAction>;
  try {
    value = JSON.parse(press.value ?? '') as Partial<ApprovalAction>;
  } catch {
    return { ok: false, problem: 'the button value is not JSON' };
  }
  const decision = press.action_id === APPROVE_ACTION_ID ? 'approve' : 'reject';
  if (typeof value.cluster !== 'string' || typeof value.instance !== 'string' || value.decision !== decision)
    return { ok: false, problem: 'the button value does not name a cluster, an instance and its decision' };
  return {
    ok: true,
    value: {
      userId: p.user.id,
      ...(p.user.username ? { userName: p.user.username } : {}),
      action: { decision, cluster: value.cluster, instance: value.instance },
      ...(p.response_url ? { responseUrl: p.response_url } : {}),
    },
  };
}
