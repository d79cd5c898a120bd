/**
 * `npm run bench`: what the rollout engine itself costs, and how it holds up on a large fleet.
 * Starts its own Temporal dev server (SQLite under .bench/), runs the sections and writes
 * docs/benchmarks.md and docs/benchmarks.json. Not part of the test suite (a tiny `--smoke` run is).
 *
 *   npm run bench                 full run (~15 min on 2 cores; starts a one-gateway bed for section 4)
 *   npm run bench -- --quick      one run each, scale 50 and 200, no real bed
 *   npm run bench -- --smoke      tiny sizes, no real bed (test/unit/bench-smoke.test.ts)
 *   --no-bed                      skip section 4;  --out <dir>  where to write (default docs/)
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { projectRoot } from '../test/bed/tools.js';
import { openContext } from './context.js';
import { describeEnvironment } from './environment.js';
import { measureKillRecovery } from './kill-recovery.js';
import { measureOverhead } from './overhead.js';
import { measureRealBed } from './real-bed.js';
import { latencySummary, writeResults, type BenchResults } from './report.js';
import { measureScale } from './scale.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    smoke: { type: 'boolean' },
    'no-bed': { type: 'boolean' },
    out: { type: 'string' },
  },
});
const mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
const plan = {
  full: {
    instances: 10,
    repetitions: 3,
    scale: [
      { instances: 50, repetitions: 2 },
      { instances: 200, repetitions: 1 },
      { instances: 500, repetitions: 1 },
    ],
    kills: 3,
    bed: true,
  },
  quick: {
    instances: 10,
    repetitions: 1,
    scale: [
      { instances: 50, repetitions: 1 },
      { instances: 200, repetitions: 1 },
    ],
    kills: 2,
    bed: false,
  },
  smoke: { instances: 2, repetitions: 1, scale: [{ instances: 3, repetitions: 1 }], kills: 1, bed: false },
}[mode];
const outDir = values.out ?? join(projectRoot, 'docs');
const log = (s: string) => console.log(`[bench] ${s}`);
Runtime.install({ logger: new DefaultLogger('WARN') });

const started = Date.now();
const environment = await describeEnvironment();
await mkdir(join(projectRoot, '.bench'), { recursive: true });
const ctx = await openContext(await mkdtemp(join(projectRoot, '.bench', 'run-')));
log(`${mode} run; dev server ${ctx.server.address}, files in ${ctx.dir}`);
let results: BenchResults;
try {
  const overhead = await measureOverhead(ctx, { instances: plan.instances, repetitions: plan.repetitions, log });
  const scale = await measureScale(ctx, { sizes: plan.scale, batchSize: 25, log });
  const workerKill = await measureKillRecovery(ctx, { kills: plan.kills, log });
  await ctx.close();
  let realBed = null;
  let realBedError: string | undefined;
  // A failure on the real bed must not throw away the sections already measured.
  if (plan.bed && !values['no-bed'])
    realBed = await measureRealBed({ log }).catch((err: unknown) => ((realBedError = (err as Error).message), null));
  results = {
    mode,
    environment,
    durationMs: Date.now() - started,
    overhead,
    scale,
    latency: {
      approvalToRejoin: [
        latencySummary(`${scale[0]!.instances} instances, batch size 25 (first run)`, scale[0]!.approvalLatenciesMs),
        latencySummary(`${overhead.instances} instances, batch size 1 (all runs)`, overhead.serialApprovalLatenciesMs),
      ],
      workerKill,
    },
    realBed,
    ...(realBedError ? { realBedError } : {}),
  };
} catch (err) {
  await ctx.close().catch(() => undefined);
  throw err;
}
await mkdir(outDir, { recursive: true });
const written = await writeResults(outDir, results);
log(`wrote ${written.markdown} and ${written.json} (${Math.round(results.durationMs / 1000)} s)`);
process.exit(0);
