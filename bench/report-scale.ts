/** Section 2 of docs/benchmarks.md: the scale table and, for the largest fleet, each goal of issue 15 beside its figure. */
import type { KillRecoveryResult } from './kill-recovery.js';
import { HISTORY_LIMIT_EVENTS, HISTORY_WARN_EVENTS, PAYLOAD_WARN_BYTES, type ScalePoint } from './scale.js';

const ms = (v: number) =>
  v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
const mb = (b: number) => `${Math.round(b / 1048576)} MB`;
const kb = (b: number) => `${Math.round(b / 1024)} KB`;
const met = (ok: boolean) => (ok ? 'met' : '**missed**');

export function scaleMarkdown(
  scale: ScalePoint[],
  approvals: { source: string; p50Ms: number }[],
  kill: KillRecoveryResult,
  measuredAt?: string,
): string[] {
  return [
    `## 2. Scale (simulated instances)${measuredAt ? ` (measured ${measuredAt} with \`--only-scale\`)` : ''}`,
    '',
    "| instances | batch | runs | wall time | per instance | parent: runs, largest run's events (bytes) | largest other history: events (bytes) | largest event | worker peak RSS | one run would reach 51,200 events at | past the warning in one run? |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...scale.map(
      (p) =>
        `| ${p.instances} | ${p.batchSize} | ${p.repetitions} | ${ms(p.wallMs.median)} | ${ms(p.wallMs.median / p.instances)} | ${p.parentRuns}, ${p.parentEvents} (${mb(p.parentBytes)}) | ${p.largestChildEvents}${p.largestChildBytes ? ` (${kb(p.largestChildBytes)})` : ''} | ${p.largestEventBytes ? kb(p.largestEventBytes) : '?'} | ${mb(p.workerPeakRssBytes.median)} | ~${p.projectedInstancesAtEventLimit} instances (50 MB at ~${p.projectedInstancesAtByteLimit}) | ${p.continueAsNewNeeded ? `**yes**: past the ${HISTORY_WARN_EVENTS.toLocaleString('en')}-event / 10 MB warning` : 'no'} |`,
    ),
    '',
    `Each instance runs in its own child workflow, whose history does not depend on the fleet's size. The parent continues-as-new when its next batch (or the final check) would take a run past 5,000 events, or when Temporal suggests it, so each of its runs stays bounded: the table shows how many runs it took and the largest; the projection says where a single run of that size per instance would reach Temporal's ${HISTORY_LIMIT_EVENTS.toLocaleString('en')}-event / 50 MB limit. The preflight and the final check run in chunks of 50 instances, one child each ("largest other history" is the first chunk or an instance's child), so none of them grows with the fleet. "Largest event" is the largest single event of any of these histories, encoded: an upper bound for the largest payload (Temporal and the SDK warn past ${kb(PAYLOAD_WARN_BYTES)}).`,
    '',
    ...goalsMarkdown(scale, approvals, kill),
  ];
}

/** Issue 15's goals for the largest fleet measured, each beside its figure. */
function goalsMarkdown(
  scale: ScalePoint[],
  approvals: { source: string; p50Ms: number }[],
  kill: KillRecoveryResult,
): string[] {
  const big = scale.at(-1);
  const mid = scale.find((p) => p.instances === 500);
  if (!big || big.instances < 1000) return [];
  const events = Math.max(big.parentEvents, big.largestChildEvents);
  const bytes = Math.max(big.parentBytes, big.largestChildBytes ?? 0);
  const perInstance = (p: ScalePoint) => p.wallMs.median / p.instances;
  const flat = mid ? perInstance(big) / perInstance(mid) : undefined;
  const approval = approvals.find((a) => a.source.startsWith(`${big.instances} instances`));
  const sinceReady = kill.progressingSinceReadyMs;
  return [
    `| goal (${big.instances.toLocaleString('en')} instances, batch ${big.batchSize}) | figure | |`,
    '|---|---|---|',
    `| the rollout completes | done in ${ms(big.wallMs.median)} | met |`,
    `| largest history of any workflow ≤ 5,120 events and ≤ 5 MB | ${events} events, ${mb(bytes)} | ${met(events <= 5120 && bytes <= 5 * 1048576)} |`,
    `| wall time per instance flat from 500 to ${big.instances} (≤ 1.25×) | ${mid ? `${ms(perInstance(mid))} → ${ms(perInstance(big))} (${flat!.toFixed(2)}×)` : 'no 500 row'} | ${flat !== undefined ? met(flat <= 1.25) : '?'} |`,
    `| worker peak RSS ≤ 1 GB | ${mb(big.workerPeakRssBytes.max)} | ${met(big.workerPeakRssBytes.max <= 1024 * 1048576)} |`,
    `| approval → rejoin p50 < 1 s, a whole batch approved at once | ${approval ? ms(approval.p50Ms) : '?'} | ${approval ? met(approval.p50Ms < 1000) : '?'} |`,
    `| no payload warning (largest event < ${kb(PAYLOAD_WARN_BYTES)}) | ${big.largestEventBytes ? kb(big.largestEventBytes) : '?'} | ${big.largestEventBytes ? met(big.largestEventBytes < PAYLOAD_WARN_BYTES) : '?'} |`,
    `| a SIGKILLed worker's rollout moving again ≤ 3 s after the new worker polls (section 3) | ${sinceReady ? ms(sinceReady.max) : '?'} | ${sinceReady ? met(sinceReady.max <= 3000) : '?'} |`,
    '',
  ];
}
