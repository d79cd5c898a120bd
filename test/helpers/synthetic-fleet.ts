/**
 * A fleet of any size made of real results: an instance rollout's result and a preflight entry recorded
 * on the bed (test/fixtures/histories), cloned per instance with its own id, times and sessions; every
 * 250th instance skipped and every 1,000th rolled back (real results of those paths too).
 */
import { readFileSync } from 'node:fs';
import type { InstanceProgress } from '../../src/shared/messages/rollout.js';
import type { PreflightReport } from '../../src/workflows/preflight.js';

/** The result payload of a recorded workflow (its last event, WorkflowExecutionCompleted). */
function resultOf<T>(fixture: string): T {
  const history = JSON.parse(readFileSync(new URL(`../fixtures/histories/${fixture}`, import.meta.url), 'utf8')) as {
    events: { workflowExecutionCompletedEventAttributes?: { result: { payloads: { data: string }[] } } }[];
  };
  const data = history.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result.payloads[0]!.data;
  return JSON.parse(Buffer.from(data, 'base64').toString()) as T;
}

const shifted = (iso: string | undefined, ms: number) => iso && new Date(Date.parse(iso) + ms).toISOString();

/** `template` as instance `id`, its times `ms` later. */
function cloneAs(template: InstanceProgress, id: string, ms: number): InstanceProgress {
  const text = JSON.stringify(template).replaceAll('"gw-1"', JSON.stringify(id));
  const clone = JSON.parse(text) as InstanceProgress;
  for (const s of clone.steps)
    Object.assign(s, { startedAt: shifted(s.startedAt, ms), endedAt: shifted(s.endedAt, ms) });
  if (clone.decision) clone.decision.at = shifted(clone.decision.at, ms)!;
  return clone;
}

export const fleetIds = (n: number) => Array.from({ length: n }, (_, i) => `gw-${String(i + 1).padStart(4, '0')}`);

export function syntheticFleet(n: number): { instances: InstanceProgress[]; preflight: PreflightReport } {
  const done = resultOf<InstanceProgress>('approved-staged--rollout-bed_gw-1.json');
  const skipped = resultOf<InstanceProgress>('failed-staging--rollout-stagefail_gw-1.json');
  const rolledBack = resultOf<InstanceProgress>('faults-staged--rollout-bed-faults_gw-1.json');
  const entry = resultOf<{ preflight: PreflightReport }>('approved-staged--rollout-bed.json').preflight.instances[0]!;
  const ids = fleetIds(n);
  const instances = ids.map((id, i) => {
    const template = (i + 1) % 1000 === 0 ? rolledBack : (i + 1) % 250 === 0 ? skipped : done;
    const clone = cloneAs(template, id, i * 1237);
    // One approver per batch of 250 (approve --rest), the approval a second apart.
    if (clone.decision) clone.decision = { ...clone.decision, approver: `op-${Math.floor(i / 250)}`, via: 'rest' };
    return clone;
  });
  const preflight: PreflightReport = {
    ok: true,
    instances: ids.map((id, i) => ({
      ...entry,
      instance: id,
      lb: { status: 'UP', sessions: (i * 7) % 40, admin: 'ready' },
      baseline: { refused: i % 3, windowMs: 60_000 },
    })),
  };
  return { instances, preflight };
}
