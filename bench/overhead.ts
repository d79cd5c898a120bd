/**
 * Section 1, overhead per instance: the real rollout workflows with the no-op executor for N instances
 * (batch size 1, the production default), against the floor (a bare workflow running the same number of
 * no-op activities in sequence, same server) and the peer (Ansible, serial playbook of no-op commands).
 * Runs are interleaved (ours, floor, Ansible; repeated) so all three see the same machine load.
 */
import { join } from 'node:path';
import { ansibleCommandsPerHost, runAnsible } from './ansible-runner.js';
import type { BenchContext } from './context.js';
import { runFloor } from './floor-run.js';
import { runNoopRollout } from './noop-rollout.js';
import { summarize, type Summary } from './stats.js';

export interface OverheadResult {
  instances: number;
  repetitions: number;
  /** Activities one rollout ran (preflight, instance steps, final check), per instance. */
  stepsPerInstance: number;
  ours: { wallMs: Summary; perInstanceMs: Summary; perStepMs: Summary };
  floor: { wallMs: Summary; perInstanceMs: Summary; perStepMs: Summary };
  ansible: { commandsPerHost: number; wallMs: Summary; perInstanceMs: Summary; perStepMs: Summary };
  ratios: { oursOverFloor: number; oursOverAnsible: number };
  /** Approval sent → rejoin activity started, one instance at a time (batch size 1). */
  serialApprovalLatenciesMs: number[];
}

export async function measureOverhead(
  ctx: BenchContext,
  opts: { instances: number; repetitions: number; log: (s: string) => void },
): Promise<OverheadResult> {
  const ours: number[] = [];
  const floor: number[] = [];
  const ansible: number[] = [];
  const latencies: number[] = [];
  let steps = 0;
  for (let rep = 1; rep <= opts.repetitions; rep++) {
    const r = await runNoopRollout(ctx, { instances: opts.instances, batchSize: 1 });
    steps = r.activities;
    ours.push(r.wallMs);
    latencies.push(...r.approvalLatenciesMs);
    const f = await runFloor(ctx, r.activities);
    floor.push(f.wallMs);
    const a = await runAnsible(join(ctx.dir, `ansible-${rep}`), opts.instances, 1);
    ansible.push(a.wallMs);
    opts.log(
      `overhead ${rep}/${opts.repetitions}: ours ${r.wallMs} ms (${r.activities} activities), floor ${f.wallMs} ms, ansible ${a.wallMs} ms`,
    );
  }
  const per = (walls: number[], stepCount: number) => ({
    wallMs: summarize(walls),
    perInstanceMs: summarize(walls.map((w) => w / opts.instances)),
    perStepMs: summarize(walls.map((w) => w / stepCount)),
  });
  const o = per(ours, steps);
  const fl = per(floor, steps);
  const an = per(ansible, ansibleCommandsPerHost * opts.instances);
  return {
    instances: opts.instances,
    repetitions: opts.repetitions,
    stepsPerInstance: steps / opts.instances,
    ours: o,
    floor: fl,
    ansible: { commandsPerHost: ansibleCommandsPerHost, ...an },
    ratios: { oursOverFloor: o.wallMs.median / fl.wallMs.median, oursOverAnsible: o.wallMs.median / an.wallMs.median },
    serialApprovalLatenciesMs: latencies,
  };
}
