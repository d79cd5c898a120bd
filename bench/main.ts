/**
 * `npm run bench`: what the rollout engine itself costs, and how it holds up on a large fleet.
 * Starts its own Temporal dev server (SQLite under .bench/), runs the sections and writes
 * docs/benchmarks.md and docs/benchmarks.json. Not part of the test suite (a tiny `--smoke` run is).
 *
 *   npm run bench                 full run (~60 min on 2 cores, 5,000 instances included; starts a
 *                                 one-gateway bed for section 4)
 *   npm run bench -- --quick      one run each, scale 50 and 200, no real bed
 *   npm run bench -- --smoke      tiny sizes, no real bed (test/unit/bench-smoke.test.ts)
 *   npm run bench -- --only-bed   section 4 alone (staged and global); the other sections are kept
 *                                 from the last run's benchmarks.json
 *   npm run bench -- --only-peer  section 5 alone (ours and the runbook's Ansible playbook on one
 *                                 three-gateway bed; OPENCLAW_ROLLOUT_BED_DIR or .bed/bench-peer); the
 *                                 rest is kept
 *   npm run bench -- --only-kill  the worker-kill recovery of section 3 alone; the rest is kept
 *   npm run bench -- --only-scale section 2 alone (and its approval latencies); the rest is kept
 *   npm run bench -- --only-old   section 6 alone (the older from-releases' jumps; needs
 *                                 `setup.sh --with-old-releases`); the rest is kept
 *   --no-bed                      skip sections 4, 5 and 6;  --out <dir>  where to write (default docs/)
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { projectRoot } from '../test/bed/tools.js';
import { openContext } from './context.js';
import { describeEnvironment } from './environment.js';
import { measureKillRecovery } from './kill-recovery.js';
import { measureOverhead } from './overhead.js';
import { measureOldReleases } from './old-releases.js';
import { measurePeerBed, type PeerBedResult } from './peer-bed.js';
import { measureRealBed, type RealBedResult } from './real-bed.js';
import { latencySummary, writeResults, type BenchResults } from './report.js';
import { measureScale, type ScalePoint } from './scale.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    smoke: { type: 'boolean' },
    'no-bed': { type: 'boolean' },
    'only-bed': { type: 'boolean' },
    'only-peer': { type: 'boolean' },
    'only-kill': { type: 'boolean' },
    'only-scale': { type: 'boolean' },
    'only-old': { type: 'boolean' },
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
      { instances: 5000, repetitions: 1, batchSize: '5%' },
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
if (values['only-bed']) {
  const json = join(outDir, 'benchmarks.json');
  const last = JSON.parse(await readFile(json, 'utf8')) as BenchResults;
  const { realBed, realBedError } = await measureRealBeds(log);
  const written = await writeResults(outDir, {
    ...last,
    environment,
    realBed,
    ...(realBedError ? { realBedError } : { realBedError: undefined }),
    bedMeasuredAt: environment.date,
  });
  log(`wrote section 4 into ${written.markdown} and ${written.json} (${Math.round((Date.now() - started) / 1000)} s)`);
  process.exit(0);
}
if (values['only-old']) {
  const last = JSON.parse(await readFile(join(outDir, 'benchmarks.json'), 'utf8')) as BenchResults;
  const oldReleases = await measureOldReleases({ log });
  // The other sections keep the machine and date they were measured on; section 6 says when it was.
  const written = await writeResults(outDir, { ...last, oldReleases, oldReleasesMeasuredAt: environment.date });
  log(`wrote section 6 into ${written.markdown} and ${written.json} (${Math.round((Date.now() - started) / 1000)} s)`);
  process.exit(0);
}
if (values['only-peer']) {
  const last = JSON.parse(await readFile(join(outDir, 'benchmarks.json'), 'utf8')) as BenchResults;
  const peer = await measurePeer(log);
  const written = await writeResults(outDir, {
    ...last,
    environment,
    ...peer,
    ...(peer.realBedPeerError ? {} : { realBedPeerError: undefined }),
    peerMeasuredAt: environment.date,
  });
  log(`wrote section 5 into ${written.markdown} and ${written.json} (${Math.round((Date.now() - started) / 1000)} s)`);
  process.exit(0);
}
await mkdir(join(projectRoot, '.bench'), { recursive: true });
const ctx = await openContext(await mkdtemp(join(projectRoot, '.bench', 'run-')));
if (values['only-scale']) {
  const last = JSON.parse(await readFile(join(outDir, 'benchmarks.json'), 'utf8')) as BenchResults;
  const scale = await measureScale(ctx, { sizes: plan.scale, batchSize: 25, log }).finally(() => ctx.close());
  const written = await writeResults(outDir, {
    ...last,
    environment,
    scale,
    latency: { ...last.latency, approvalToRejoin: approvalLatencies(scale, last.overhead) },
    scaleMeasuredAt: environment.date,
  });
  log(`wrote section 2 into ${written.markdown} and ${written.json}`);
  process.exit(0);
}
if (values['only-kill']) {
  const json = join(outDir, 'benchmarks.json');
  const last = JSON.parse(await readFile(json, 'utf8')) as BenchResults;
  const workerKill = await measureKillRecovery(ctx, { kills: plan.kills, log }).finally(() => ctx.close());
  const written = await writeResults(outDir, {
    ...last,
    environment,
    latency: { ...last.latency, workerKill },
    killMeasuredAt: environment.date,
  });
  log(`wrote the worker-kill rows into ${written.markdown} and ${written.json}`);
  process.exit(0);
}
log(`${mode} run; dev server ${ctx.server.address}, files in ${ctx.dir}`);
let results: BenchResults;
try {
  const overhead = await measureOverhead(ctx, { instances: plan.instances, repetitions: plan.repetitions, log });
  const scale = await measureScale(ctx, { sizes: plan.scale, batchSize: 25, log });
  const workerKill = await measureKillRecovery(ctx, { kills: plan.kills, log });
  await ctx.close();
  const { realBed, realBedError } =
    plan.bed && !values['no-bed'] ? await measureRealBeds(log) : { realBed: null, realBedError: undefined };
  const peer = plan.bed && !values['no-bed'] ? await measurePeer(log) : { realBedPeer: null };
  results = {
    mode,
    environment,
    durationMs: Date.now() - started,
    overhead,
    scale,
    latency: { approvalToRejoin: approvalLatencies(scale, overhead), workerKill },
    realBed,
    ...(realBedError ? { realBedError } : {}),
    ...peer,
    ...(plan.bed && !values['no-bed'] ? { oldReleases: await measureOldReleases({ log }) } : {}),
  };
} catch (err) {
  await ctx.close().catch(() => undefined);
  throw err;
}
await mkdir(outDir, { recursive: true });
const written = await writeResults(outDir, results);
log(`wrote ${written.markdown} and ${written.json} (${Math.round(results.durationMs / 1000)} s)`);
process.exit(0);

/** Section 4 with the bed's staged install, then as a global npm install; a failure keeps what was measured. */
async function measureRealBeds(
  log: (s: string) => void,
): Promise<{ realBed: RealBedResult[] | null; realBedError?: string }> {
  const realBed: RealBedResult[] = [];
  try {
    for (const installType of ['staged', 'global'] as const) realBed.push(await measureRealBed({ log, installType }));
    return { realBed };
  } catch (err) {
    return { realBed: realBed.length ? realBed : null, realBedError: (err as Error).message };
  }
}

/** Section 5; a failure is reported in its place instead of ending the benchmark. */
async function measurePeer(
  log: (s: string) => void,
): Promise<{ realBedPeer: PeerBedResult | null; realBedPeerError?: string }> {
  try {
    return { realBedPeer: await measurePeerBed({ log }) };
  } catch (err) {
    return { realBedPeer: null, realBedPeerError: (err as Error).message };
  }
}

/** Approval → rejoin: the first and the largest scale point (a whole batch approved at once), and the serial runs. */
function approvalLatencies(scale: ScalePoint[], overhead: BenchResults['overhead']) {
  const first = scale[0]!;
  const largest = scale.at(-1)!;
  return [
    latencySummary(
      `${first.instances} instances, batch size ${first.batchSize} (first run)`,
      first.approvalLatenciesMs,
    ),
    ...(largest !== first
      ? [
          latencySummary(
            `${largest.instances} instances, batch size ${largest.batchSize} (first run)`,
            largest.approvalLatenciesMs,
          ),
        ]
      : []),
    latencySummary(`${overhead.instances} instances, batch size 1 (all runs)`, overhead.serialApprovalLatenciesMs),
  ];
}
