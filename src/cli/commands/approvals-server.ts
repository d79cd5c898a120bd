/**
 * `approvals-server`: answers the Approve / Reject buttons of the Slack notifications (src/approvals/).
 * It resolves the Slack signing secret (notifications.slackApprovals.signingSecret) here, keeps one
 * Temporal client, and sends each mapped user's press as the same Update as `approve` / `reject`.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { resolveSecret } from '../../activities/host/secrets.js';
import { startApprovalsServer, type Decision } from '../../approvals/server.js';
import { ConfigurationError } from '../../shared/errors.js';
import type { Inventory } from '../../shared/inventory.js';
import { approveRejoinUpdate, rejectRejoinUpdate } from '../../shared/messages/rollout.js';
import type { ApprovalAction } from '../../shared/notices.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { rolloutHandle, withClient } from '../client.js';
import type { Client } from '@temporalio/client';

/** --listen: `host:port`, `:port` or `port`; loopback by default. */
export function parseListen(listen: string | undefined): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(listen ?? '127.0.0.1:3210');
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new UsageError(
      `approvals-server: --listen must be host:port or a port, e.g. 127.0.0.1:3210 (got "${listen}")`,
    );
  return { host: m[1]?.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}

/** The same Update as `approve` / `reject`: accepted, or refused with the rollout's reason. */
export function decideWith(client: Client, inventory: Inventory) {
  return async (action: ApprovalAction, approver: string, comment: string): Promise<Decision> => {
    const update = action.decision === 'approve' ? approveRejoinUpdate : rejectRejoinUpdate;
    const decision = { instance: action.instance, approver, comment };
    try {
      const receipt = await rolloutHandle(client, inventory).executeUpdate(update, { args: [decision] });
      return {
        ok: true,
        text: `${action.decision === 'approve' ? 'Approved' : 'Rejected'}: ${receipt.instance} by ${approver} (delivered to ${receipt.deliveredTo}).`,
      };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        return { ok: false, text: `Refused: ${err.cause?.message ?? err.message}. Nothing was changed.` };
      if (err instanceof WorkflowNotFoundError)
        return { ok: false, text: `Refused: no rollout of cluster ${inventory.cluster} is running.` };
      return {
        ok: false,
        text: `Could not reach the rollout (${(err as Error).name}); nothing was changed. Try again.`,
      };
    }
  };
}

async function serve({ inventory, values, out }: CommandContext): Promise<number> {
  const slack = inventory.notifications?.slackApprovals;
  if (!slack)
    throw new ConfigurationError(
      'approvals-server: the inventory has no notifications.slackApprovals (signingSecret: { env: SLACK_SIGNING_SECRET } and users: { U024BE7LH: alice }); add it, see docs/notifications.md',
    );
  const { host, port } = parseListen(values.listen);
  const signingSecret = await resolveSecret(slack.signingSecret, 'notifications.slackApprovals.signingSecret');
  return withClient(inventory, async (client) => {
    const server = await startApprovalsServer({
      cluster: inventory.cluster,
      signingSecret,
      users: slack.users,
      decide: decideWith(client, inventory),
      host,
      port,
      log: (line) => out(`[${new Date().toISOString()}] ${line}`),
    });
    out(`approvals-server for cluster ${inventory.cluster} listening on ${server.url} (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  });
}

export const approvalsServer: Command = {
  name: 'approvals-server',
  options: ['listen'],
  help: `  approvals-server  answer the Approve / Reject buttons of Slack notifications: --listen <host:port>
              (default 127.0.0.1:3210; Slack posts to POST /slack/actions). Checks Slack's signature
              (notifications.slackApprovals.signingSecret), the 5-minute window and replays, maps the
              Slack user through notifications.slackApprovals.users (unmapped: refused), and sends the
              same checked Update as approve / reject; answers in the thread`,
  run: serve,
};
