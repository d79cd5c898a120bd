/**
 * What the last rollout of a cluster left out of traffic, for the next one to take up: an instance it
 * drained and did not return (skipped, aborted, cancelled, rejected), whatever runs there now (stopped,
 * on the old release, half-updated). The next rollout's preflight does not refuse such an instance
 * because its gateway is down; it rolls it forward from where it is and counts its time out of traffic
 * from when it first left. Workflow-safe (no I/O): the CLI reads the last report, the workflows use this.
 */
import type { BackupRecord } from './facts.js';
import type { InstanceProgress } from './messages/rollout.js';
import { outOfTraffic } from './out-of-traffic.js';

export interface TakeUp {
  instance: string;
  /** The rollout (workflow id) that left it. */
  by: string;
  /** When it left traffic (that rollout's drain). */
  outSince: string;
  /** What that rollout said about it (its needsAttention), if anything. */
  left?: string;
  /**
   * That rollout cut off the restore of its backup: its state may be half restored. Never taken up (a
   * person finishes or undoes the restore first).
   */
  restoreCutOff?: boolean;
  /**
   * The release it ran before that rollout changed it, and the verified backup taken with it: a rollback
   * in the rerun goes back there (not to what that rollout left installed).
   */
  before?: { version: string; backup?: BackupRecord };
}

/** The part of a rollout's report this reads (any report from before it was written works). */
export interface LastReport {
  rolloutId: string;
  instances: Pick<
    InstanceProgress,
    'instance' | 'phase' | 'steps' | 'needsAttention' | 'leftStopped' | 'versionBefore' | 'backup'
  >[];
}

/** The instances the report says are still out of traffic (drained and not returned), in its order. */
export function takeUpFrom(report: LastReport): TakeUp[] {
  return report.instances.flatMap((i) => {
    const since = outOfTraffic(i).outSince;
    if (!since || i.phase === 'Done') return [];
    const restoreCutOff =
      i.leftStopped === 'restore-cut-off' || /restore of its backup was cut off/.test(i.needsAttention ?? '');
    return [
      {
        instance: i.instance,
        by: report.rolloutId,
        outSince: since,
        ...(i.needsAttention ? { left: i.needsAttention } : {}),
        ...(restoreCutOff ? { restoreCutOff } : {}),
        ...(i.versionBefore ? { before: { version: i.versionBefore, ...backupOf(i.backup) } } : {}),
      },
    ];
  });
}

const backupOf = (b: InstanceProgress['backup']) => (b && !('skipped' in b) ? { backup: b } : {});

/** The preflight's words for an instance the rollout takes up. */
export function describeTakeUp(t: TakeUp, gatewayRunning: boolean): string {
  return `left out of traffic by ${t.by} since ${t.outSince}${gatewayRunning ? '' : ', its gateway stopped'}: this rollout takes it up from where it is (it stays out of traffic until approved)`;
}

/** Why an instance cannot be taken up: its state may be half restored. */
export function restoreCutOffProblem(t: TakeUp, start: string): string {
  return `left stopped by ${t.by} with the restore of its backup cut off (its state may be half restored): finish or undo the restore (its journal is next to the archive), start it (${start}), then run this again`;
}
