/**
 * The fleet gauges' values at one moment, from the running rollout's live progress (what `status`
 * shows) and the host queues' pollers: pure, so the same answer comes from any worker that asks.
 */
import type { InstanceProgress, RolloutProgress } from '../../shared/messages/rollout.js';
import { GAUGE_PHASES } from '../../shared/metrics.js';
import { outOfTraffic } from '../../shared/out-of-traffic.js';

export interface FleetState {
  running: number;
  /** Every phase of GAUGE_PHASES, 0 when no instance is in it. */
  phases: Record<string, number>;
  /** Seconds out of traffic so far, per instance (0: in traffic). */
  outOfTraffic: Record<string, number>;
  /** Seconds waiting for a person so far, per instance (0: not waiting). */
  awaitingPerson: Record<string, number>;
}

const secondsSince = (iso: string | undefined, nowMs: number) =>
  iso ? Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000)) : 0;

/**
 * Since when an instance waits for a person: a failure since it was recorded; an approval since the
 * last step before it ended (the instance asks as soon as its checks are done).
 */
export function waitingSince(i: InstanceProgress): string | undefined {
  if (i.phase === 'Failed') return i.failure?.at;
  if (i.phase !== 'AwaitingApproval') return undefined;
  const ends = i.steps.map((s) => s.endedAt ?? s.startedAt).sort();
  return ends.at(-1);
}

/**
 * The gauges for `instanceIds` (the inventory's, so every series is set each time and none goes stale)
 * and the instances of the running rollout's `progress` (undefined: none runs, every value 0).
 */
export function fleetState(progress: RolloutProgress | undefined, instanceIds: string[], nowMs: number): FleetState {
  const ids = [...new Set([...instanceIds, ...(progress?.instances.map((i) => i.instance) ?? [])])];
  const state: FleetState = {
    running: progress ? 1 : 0,
    phases: Object.fromEntries(GAUGE_PHASES.map((p) => [p, 0])),
    outOfTraffic: Object.fromEntries(ids.map((id) => [id, 0])),
    awaitingPerson: Object.fromEntries(ids.map((id) => [id, 0])),
  };
  for (const i of progress?.instances ?? []) {
    state.phases[i.phase] = (state.phases[i.phase] ?? 0) + 1;
    state.outOfTraffic[i.instance] = secondsSince(outOfTraffic(i).outSince, nowMs);
    state.awaitingPerson[i.instance] = secondsSince(waitingSince(i), nowMs);
  }
  return state;
}
