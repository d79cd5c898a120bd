/**
 * How long an instance was out of traffic, from the step times its progress recorded: each period runs
 * from a drain call to the call that returned it (the rejoin after approval, or a put-back of an
 * unchanged instance). Workflow-safe (no I/O): the status view, the demo and reports read it.
 */
import type { InstanceProgress, StepRecord } from './messages/rollout.js';
import { isStep, type StepId } from './steps.js';

/** One stay out of traffic: `to` is absent while the instance is still out. */
export interface OutOfTrafficPeriod {
  from: string;
  to?: string;
}

export interface OutOfTraffic {
  instance: string;
  periods: OutOfTrafficPeriod[];
  /** The milliseconds of the ended periods (a period still open is not counted: see `outSince`). */
  totalMs: number;
  /** When the instance left traffic, if it has not returned yet. */
  outSince?: string;
}

const DRAIN: ReadonlySet<StepId> = new Set<StepId>(['drain']);
const LEGACY_DRAIN = /^drain( \(|$)/;
const BACK: ReadonlySet<StepId> = new Set<StepId>(['rejoin', 'put-back']);
const LEGACY_BACK = /^rejoin$|^put back in traffic/;

/**
 * A drain counts from its call on, even if the call failed (the load balancer may have applied it); the
 * instance is back only once a rejoin or put-back succeeded. A second drain while out (a retried drain)
 * does not open a new period.
 */
export function outOfTraffic(i: Pick<InstanceProgress, 'instance' | 'steps'>): OutOfTraffic {
  const periods: OutOfTrafficPeriod[] = [];
  let open: OutOfTrafficPeriod | undefined;
  for (const s of i.steps) {
    if (!open && s.status !== 'skipped' && isStep(s, DRAIN, LEGACY_DRAIN)) {
      open = { from: s.startedAt };
      periods.push(open);
    } else if (open && isBack(s)) {
      open.to = s.endedAt ?? s.startedAt;
      open = undefined;
    }
  }
  const totalMs = periods.reduce((sum, p) => sum + (p.to ? Date.parse(p.to) - Date.parse(p.from) : 0), 0);
  return { instance: i.instance, periods, totalMs, ...(open ? { outSince: open.from } : {}) };
}

const isBack = (s: StepRecord) => s.status === 'ok' && isStep(s, BACK, LEGACY_BACK);
