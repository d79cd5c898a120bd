/**
 * The Slack message (Block Kit) of a notice: a header, the text, what was verified, the Web UI link and
 * the commands, and for an instance waiting for approval the Approve / Reject buttons that
 * approvals-server answers (their values name the cluster and the instance, nothing secret).
 */
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, type ApprovalAction, type Notice } from '../../shared/notices.js';

type Block = Record<string, unknown>;

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: text.slice(0, 2900) });

function button(notice: Notice, decision: ApprovalAction['decision']): Block {
  const value: ApprovalAction = { decision, cluster: notice.actions!.cluster, instance: notice.actions!.instance };
  return {
    type: 'button',
    action_id: decision === 'approve' ? APPROVE_ACTION_ID : REJECT_ACTION_ID,
    text: { type: 'plain_text', text: decision === 'approve' ? 'Approve' : 'Reject' },
    style: decision === 'approve' ? 'primary' : 'danger',
    value: JSON.stringify(value),
  };
}

export function slackMessage(notice: Notice): { text: string; blocks: Block[] } {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: notice.title.slice(0, 150) } },
    { type: 'section', text: mrkdwn(notice.text.join('\n')) },
  ];
  if (notice.verified?.length)
    blocks.push({ type: 'section', text: mrkdwn(`*Verified:*\n${notice.verified.map((v) => `• ${v}`).join('\n')}`) });
  const links = [
    ...(notice.link ? [`<${notice.link}|Open in the Temporal Web UI>`] : []),
    ...(notice.commands ?? []).map((c) => `\`${c}\``),
  ];
  if (links.length) blocks.push({ type: 'section', text: mrkdwn(links.join('\n')) });
  if (notice.actions) blocks.push({ type: 'actions', elements: [button(notice, 'approve'), button(notice, 'reject')] });
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`${notice.cluster} · ${notice.workflowId} · ${notice.event} · ${notice.at}`)],
  });
  return { text: notice.title, blocks };
}
