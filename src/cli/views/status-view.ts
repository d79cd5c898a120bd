/**
 * What `status` shows: the rollout's progress as a table (instance, phase, version before → after,
 * sessions, time out of traffic, last check, waiting for whom), and the `--watch` writer that redraws it
 * in place on a terminal and prints a new plain table only when something changed otherwise (logs,
 * pipes, CI).
 * Steps are found by their id (src/shared/steps.ts); records without one (older progress) by their label.
 */
import { formatTable } from './text-table.js';
import { outOfTrafficCell } from './out-of-traffic-view.js';
import type { InstanceProgress, RolloutProgress, WhoMayDecide } from '../../shared/messages/rollout.js';
import { CHECK_STEPS, isStep, type StepId } from '../../shared/steps.js';
import type { QueuedStep } from '../queued-steps.js';
import { cliLine, INSTALLED_COMMAND, type OperatorCommand } from '../../shared/operator-command.js';

export interface StatusContext {
  /** policy.approvals of the rollout's inventory, to say who may approve. */
  approvals?: WhoMayDecide;
  /** Who started the rollout (cannot approve under four-eyes). */
  startedBy?: string;
  /** Per instance: the step no worker has taken (src/cli/queued-steps.ts). */
  queued?: ReadonlyMap<string, QueuedStep>;
  /** How the operator runs the CLI, for the worker command it names (absent: the installed form). */
  invokedAs?: OperatorCommand;
}

/** A step that waits in a task queue no worker takes: which queue, and the worker command that serves it. */
export function queuedWords(
  i: InstanceProgress,
  q: QueuedStep,
  invokedAs: OperatorCommand = INSTALLED_COMMAND,
): string {
  const step = i.steps.find((s) => s.status === 'running')?.step ?? q.activity;
  const host = q.taskQueue.includes('@') ? q.taskQueue.slice(q.taskQueue.lastIndexOf('@') + 1) : undefined;
  const start = cliLine(invokedAs, `worker --inventory <your inventory>${host ? ` --host ${host}` : ''}`);
  return `a worker on task queue ${q.taskQueue}: no worker took "${step}" (${q.activity}) for ${Math.round(q.waitedMs / 1000)} s; the step waits, start ${host ? `on ${host}: ` : ''}${start}`;
}

const DRAIN_WAIT: ReadonlySet<StepId> = new Set<StepId>(['wait-drain']);
const LEGACY_DRAIN_WAIT = /^wait for sessions to drain$/;
const LEGACY_CHECK = /^verify|^doctor|connected again$/;

function sessionsCell(i: InstanceProgress): string {
  if (i.sessions !== undefined && i.sessions !== null) return String(i.sessions);
  const wait = i.steps.find((s) => isStep(s, DRAIN_WAIT, LEGACY_DRAIN_WAIT));
  return wait?.status === 'running' ? 'draining' : '-';
}

function lastCheckCell(i: InstanceProgress): string {
  if (i.handedOver) return i.handedOver.lastCheck ?? '-';
  const check = i.steps.filter((s) => isStep(s, CHECK_STEPS, LEGACY_CHECK) && s.status !== 'running').at(-1);
  return check ? `${check.step}: ${check.status}` : '-';
}

/** Who or what the instance waits for now, in words an operator acts on. */
export function waitingFor(i: InstanceProgress, ctx: StatusContext): string {
  if (i.phase === 'AwaitingApproval') {
    const who = ctx.approvals?.approvers.length ? ctx.approvals.approvers.join(' or ') : 'any operator';
    const notStarter = ctx.approvals?.fourEyes !== false && ctx.startedBy ? ` (not ${ctx.startedBy})` : '';
    const stopped = i.promotion && !i.promotion.promoted ? `; not promoted automatically: ${i.promotion.why}` : '';
    return `approval by ${who}${notStarter}${stopped}`;
  }
  if (i.phase === 'Soaking') return 'the soak (canary mode): promoted on evidence, else a human is asked';
  if (i.phase === 'Failed' && i.failure)
    return `a decision after "${i.failure.step}" failed (retry | rollback | skip | abort)`;
  const queued = ctx.queued?.get(i.instance);
  if (queued) return queuedWords(i, queued, ctx.invokedAs);
  if (i.needsAttention) return `attention: ${i.needsAttention}`;
  if (i.alreadyOnTarget) return 'nothing: already on target, left alone (start --force redoes it)';
  if (i.decision) {
    const via =
      i.decision.via === 'policy' ? ' (canary mode, on evidence)' : i.decision.via ? ` (--${i.decision.via})` : '';
    return `${wayBackWords(i)}${i.decision.kind === 'approve' ? 'approved' : 'rejected'} by ${i.decision.approver}${via}`;
  }
  const running = i.steps.find((s) => s.status === 'running');
  return running ? `worker: ${running.step}` : '-';
}

/** A rejection and a rollback before the approval an instance ended with: it is not a plain success. */
function wayBackWords(i: InstanceProgress): string {
  const rollback = i.decisions?.find((d) => d.decision === 'rollback');
  const rejected = i.rejection ? `rejected by ${i.rejection.approver}, ` : '';
  return `${rejected}${rollback ? `rolled back (decided by ${rollback.by}) to ${i.versionAfter ?? '?'}, then ` : ''}`;
}

/** The phase, with what a Done hides: rolled back to the release before, or rejected first. */
function phaseCell(i: InstanceProgress): string {
  if (i.phase !== 'Done') return i.phase;
  if (i.decisions?.some((d) => d.decision === 'rollback')) return 'Done (rolled back)';
  return i.rejection ? 'Done (after a rejection)' : i.phase;
}

/** The rollout's phase; a Done with instances rolled back, skipped or rejected says so (the report says partial). */
function rolloutPhase(p: RolloutProgress): string {
  if (p.phase !== 'Done') return p.phase;
  const rolledBack = p.instances.filter((i) => i.decisions?.some((d) => d.decision === 'rollback')).length;
  const skipped = p.instances.filter((i) => i.phase === 'Skipped').length;
  const parts = [rolledBack ? `${rolledBack} rolled back` : '', skipped ? `${skipped} skipped` : ''].filter(Boolean);
  return parts.length ? `Done with exceptions (${parts.join(', ')})` : p.phase;
}

export function progressTable(p: RolloutProgress, ctx: StatusContext = {}): string {
  const rows = p.instances.map((i) => [
    i.instance,
    phaseCell(i),
    `${i.versionBefore ?? '?'} → ${i.versionAfter ?? '?'}`,
    sessionsCell(i),
    outOfTrafficCell(i),
    lastCheckCell(i),
    waitingFor(i, ctx),
  ]);
  const paused = p.paused ? ` (paused by ${p.paused.by}${p.paused.comment ? `: ${p.paused.comment}` : ''})` : '';
  const title = `rollout ${p.rolloutId}: ${rolloutPhase(p)}${paused}, target ${p.targetVersion}${p.current.length ? `, now ${p.current.join(', ')}` : ''}`;
  return `${title}${standingLine(p)}\n${formatTable(['instance', 'phase', 'version', 'sessions', 'out of traffic', 'last check', 'waiting for'], rows)}${notificationLines(p)}`;
}

/**
 * `status --instance`: the rollout's table for one instance, then every step it ran (status, label,
 * detail, UTC times), its decisions and the messages it ignored. `source` says where the detail came from.
 */
export function instanceDetail(
  p: RolloutProgress,
  i: InstanceProgress,
  source: string,
  ctx: StatusContext = {},
): string {
  const table = progressTable({ ...p, instances: [i] }, ctx);
  const time = (iso?: string) => (iso ? iso.slice(11, 19) : '…');
  const steps = i.steps.map(
    (s) =>
      `  ${s.status.padEnd(7)} ${time(s.startedAt)} → ${time(s.endedAt)}  ${s.step}${s.detail ? `: ${s.detail}` : ''}`,
  );
  const decisions = (i.decisions ?? []).map(
    (d) => `  ${d.at} ${d.decision} by ${d.by}${d.comment ? `: ${d.comment}` : ''}`,
  );
  const ignored = i.ignored.map((x) => `  ${x.at} ${x.signal}: ${x.reason}`);
  return [
    table,
    `\nsteps of ${i.instance} (${source}):`,
    ...(steps.length ? steps : ['  none recorded here']),
    ...(decisions.length ? ['decisions after a failure:', ...decisions] : []),
    ...(ignored.length ? ['ignored messages:', ...ignored] : []),
  ].join('\n');
}

/** The standing approval (approve --rest, or --batch in mode batch) and who gave it, or its withdrawal. */
function standingLine(p: RolloutProgress): string {
  const s = p.standing;
  if (s) {
    const what = s.scope === 'rest' ? 'every later instance' : `the batch ${s.instances?.join(', ')}`;
    return `\nstanding approval for ${what}, by ${s.approver} at ${s.at}${s.comment ? ` (${s.comment})` : ''}`;
  }
  const w = p.withdrawn;
  return w ? `\nstanding approval by ${w.approver} withdrawn by ${w.withdrawnBy}: ${w.why}` : '';
}

/** Notifications that were not delivered (the rollout went on without them): the count and the last few. */
function notificationLines(p: RolloutProgress): string {
  const failed = p.notificationFailures ?? [];
  if (!failed.length) return '';
  const lines = failed
    .slice(-5)
    .map((f) => `  ${f.at} ${f.event}${f.instance ? ` of ${f.instance}` : ''} to ${f.error}`);
  return `\nnotifications not delivered: ${failed.length}${failed.length > 5 ? ' (the last 5)' : ''}\n${lines.join('\n')}`;
}

/**
 * Writes successive renderings of the table through `write` (one call per rendering; the caller ends it
 * with a newline, like console.log). On a terminal it moves the cursor back over the previous
 * rendering and redraws; otherwise it prints a rendering only when it differs from the last one, with a
 * time stamp, so a log stays readable.
 */
export function watchWriter(write: (s: string) => void, tty: boolean, clock: () => Date = () => new Date()) {
  let previous: string | undefined;
  let previousLines = 0;
  return (text: string) => {
    if (tty) {
      // ESC[nF: cursor up n lines to column 1; ESC[0J: clear to the end of the screen.
      const erase = previousLines ? `\x1b[${previousLines}F\x1b[0J` : '';
      const stamped = `${text}\n(updated ${clock().toISOString().slice(11, 19)}; Ctrl-C stops watching, not the rollout)`;
      write(`${erase}${stamped}`);
      previousLines = stamped.split('\n').length;
      return;
    }
    if (text === previous) return;
    previous = text;
    write(`[${clock().toISOString()}]\n${text}`);
  };
}
