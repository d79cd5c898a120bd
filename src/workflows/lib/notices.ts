/**
 * The notices the workflows send (src/shared/notices.ts), built from their progress: plain text, no
 * secret (progress holds none), the Web UI link and the commands that answer. Pure functions.
 */
import { instanceWorkflowId } from '../../shared/ids.js';
import type { ApprovalRules } from '../../shared/inventory.js';
import type { InstanceProgress } from '../../shared/messages/rollout.js';
import { workflowLink, type Notice } from '../../shared/notices.js';
import { cliLine, type OperatorCommand } from '../../shared/operator-command.js';

/** Where a rollout runs: for links and the commands. */
export interface RolloutPlace {
  cluster: string;
  rolloutId: string;
  targetVersion: string;
  namespace: string;
  uiUrl?: string;
  approvals: ApprovalRules;
  startedBy?: string;
  operatorCommand?: OperatorCommand;
  now: string;
}
const minutes = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

function whoMayApprove(p: RolloutPlace): string {
  const who = p.approvals.approvers.length ? p.approvals.approvers.join(' or ') : 'any operator';
  return `${who}${p.approvals.fourEyes && p.startedBy ? ` (not ${p.startedBy}, who started it: four-eyes)` : ''}`;
}

function aboutInstance(p: RolloutPlace, i: InstanceProgress) {
  const workflowId = instanceWorkflowId(p.rolloutId, i.instance);
  const link = workflowLink(p.uiUrl, p.namespace, workflowId);
  return { cluster: p.cluster, workflowId, instance: i.instance, ...(link ? { link } : {}), at: p.now };
}

export function awaitingApprovalNotice(p: RolloutPlace, i: InstanceProgress): Notice {
  return {
    event: 'awaiting-approval',
    ...aboutInstance(p, i),
    title: `${i.instance} waits for approval to rejoin traffic (${p.cluster})`,
    text: [
      `Rollout ${p.rolloutId}: ${i.instance} runs ${i.versionAfter ?? '?'} (was ${i.versionBefore ?? '?'}, target ${p.targetVersion}), verified, and stays out of traffic until someone approves.`,
      `May approve: ${whoMayApprove(p)}.`,
      ...(i.promotion && !i.promotion.promoted
        ? [`Not promoted automatically (canary mode): ${i.promotion.why}.`]
        : []),
    ],
    verified: i.steps.filter((s) => s.status === 'ok').map((s) => `${s.step}${s.detail ? `: ${s.detail}` : ''}`),
    commands: [
      cliLine(p.operatorCommand, `approve --inventory <cluster.yaml> --instance ${i.instance} --approver <you>`),
      cliLine(
        p.operatorCommand,
        `reject --inventory <cluster.yaml> --instance ${i.instance} --approver <you> --comment "<why>"`,
      ),
    ],
    actions: { cluster: p.cluster, instance: i.instance },
  };
}

export function stepFailedNotice(p: RolloutPlace, i: InstanceProgress): Notice {
  const rejoined = i.steps.some((s) => s.id === 'rejoin' && s.status === 'ok');
  return {
    event: 'step-failed',
    ...aboutInstance(p, i),
    title: `${i.instance} failed at "${i.failure?.step ?? '?'}" and waits for a decision (${p.cluster})`,
    text: [
      i.failure?.message ?? '',
      rejoined ? 'It is in traffic (it had rejoined).' : 'It stays out of traffic meanwhile.',
      `Versions: before ${i.versionBefore ?? '?'}, target ${p.targetVersion}.`,
    ],
    commands: [
      cliLine(
        p.operatorCommand,
        `decide --inventory <cluster.yaml> --instance ${i.instance} --decision retry|rollback|skip|abort --by <you>`,
      ),
    ],
  };
}

export function outOfTrafficNotice(p: RolloutPlace, i: InstanceProgress, since: string, afterMs: number): Notice {
  return {
    event: 'out-of-traffic',
    ...aboutInstance(p, i),
    title: `${i.instance} has been out of traffic for more than ${minutes(afterMs)} (${p.cluster})`,
    text: [
      `Drained since ${since}; now ${i.phase}${i.phase === 'AwaitingApproval' ? ` (may approve: ${whoMayApprove(p)})` : ''}.`,
      `Rollout ${p.rolloutId}, target ${p.targetVersion}.`,
    ],
    commands: [cliLine(p.operatorCommand, 'status --inventory <cluster.yaml>')],
  };
}

/** The report's summary, as the rollout ended. */
export function rolloutEndedNotice(
  p: RolloutPlace,
  report: {
    outcome: string;
    instances: InstanceProgress[];
    needsAttention?: { instance: string; why: string }[];
    stoppedBecause?: string;
  },
): Notice {
  const link = workflowLink(p.uiUrl, p.namespace, p.rolloutId);
  const attention = report.needsAttention ?? [];
  return {
    event: 'rollout-ended',
    cluster: p.cluster,
    workflowId: p.rolloutId,
    ...(link ? { link } : {}),
    at: p.now,
    title: `Rollout ${p.rolloutId} ended: ${report.outcome}`,
    text: [
      `Target ${p.targetVersion}.${report.stoppedBecause ? ` Stopped because: ${report.stoppedBecause}.` : ''}`,
      ...instanceLines(report.instances),
      ...(attention.length ? [`Needs attention: ${attention.map((a) => `${a.instance} (${a.why})`).join('; ')}`] : []),
    ],
  };
}

/** A notice lists each instance of a fleet up to this size; a larger one's usual outcomes are counted. */
export const NOTICE_LISTS_UP_TO = 50;

/** One line per instance; past NOTICE_LISTS_UP_TO a line per usual outcome with its count, then the unusual ones. */
function instanceLines(instances: InstanceProgress[]): string[] {
  const line = (i: InstanceProgress) =>
    `${i.instance}: ${i.phase}, ${i.versionBefore ?? '?'} → ${i.versionAfter ?? '?'}${i.decision ? `, ${i.decision.kind === 'approve' ? 'approved' : 'rejected'} by ${i.decision.approver}` : ''}`;
  if (instances.length <= NOTICE_LISTS_UP_TO) return instances.map(line);
  const usual = (i: InstanceProgress) =>
    (i.phase === 'Done' || i.phase === 'Pending') && !i.needsAttention && !i.decisions?.length && !i.failure;
  const counts = new Map<string, number>();
  for (const i of instances.filter(usual)) {
    const key = `${i.phase}, ${i.versionBefore ?? '?'} → ${i.versionAfter ?? '?'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...[...counts].map(([key, n]) => `${n} instances: ${key}`), ...instances.filter((i) => !usual(i)).map(line)];
}

/** An emergency repair waiting for a human to approve the device's new pairing request. */
export function repairWaitingNotice(r: {
  cluster: string;
  workflowId: string;
  namespace: string;
  uiUrl?: string;
  instance: string;
  label: string;
  deviceId: string;
  requestId: string;
  reason: string;
  operatorCommand?: OperatorCommand;
  now: string;
}): Notice {
  const link = workflowLink(r.uiUrl, r.namespace, r.workflowId);
  return {
    event: 'repair-waiting',
    cluster: r.cluster,
    workflowId: r.workflowId,
    instance: r.instance,
    ...(link ? { link } : {}),
    at: r.now,
    title: `Emergency repair of ${r.label} waits for approval (${r.cluster})`,
    text: [`Why: ${r.reason}.`, `Its client asked to pair again (request ${r.requestId}); approve to let it in.`],
    commands: [
      cliLine(
        r.operatorCommand,
        `approve-repair --inventory <cluster.yaml> --instance ${r.instance} --device ${r.deviceId} --approver <you>`,
      ),
      cliLine(
        r.operatorCommand,
        `reject-repair --inventory <cluster.yaml> --instance ${r.instance} --device ${r.deviceId} --approver <you> --comment "<why>"`,
      ),
    ],
  };
}
