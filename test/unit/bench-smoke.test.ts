/**
 * The benchmark must not rot: a tiny `npm run bench -- --smoke` (2 instances against the floor and
 * Ansible, a 3-instance scale point, one worker kill, no real bed) runs in its own process (Temporal's
 * native worker and history conversion do not belong inside vitest's module loader) and must write a
 * well-formed report with every figure present and positive. Values are not judged here: timings live in
 * docs/benchmarks.md only.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/report.js';
import { projectRoot } from '../bed/tools.js';

let out: string;
let results: BenchResults;
let markdown: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
  const r = await execa('npx', ['tsx', 'bench/main.ts', '--smoke', '--out', out], {
    cwd: projectRoot,
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`npm run bench -- --smoke failed (exit ${r.exitCode}):\n${r.all.slice(-3000)}`);
  results = JSON.parse(await readFile(join(out, 'benchmarks.json'), 'utf8')) as BenchResults;
  markdown = await readFile(join(out, 'benchmarks.md'), 'utf8');
}, 600_000); // ~60 s alone; longer while the e2e bed starts next to it on 2 cores
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

const positive = (s: { n: number; median: number; min: number; max: number }) => {
  expect(s.n).toBeGreaterThan(0);
  expect(s.min).toBeGreaterThan(0);
  expect(s.median).toBeGreaterThanOrEqual(s.min);
  expect(s.max).toBeGreaterThanOrEqual(s.median);
};

describe('npm run bench -- --smoke', () => {
  it('records the machine, the date and the versions', () => {
    expect(Date.parse(results.environment.date)).not.toBeNaN();
    expect(results.environment.machine.cores).toBeGreaterThan(0);
    for (const key of ['node', 'temporalCli', 'temporalSdk', 'ansible', 'openclawFrom', 'openclawTarget']) {
      expect(results.environment.versions[key], key).toMatch(/\d/);
    }
  });

  it('measures ours, the floor and Ansible with the same steps, and their ratios', () => {
    const o = results.overhead;
    expect(o.stepsPerInstance).toBeGreaterThan(10);
    for (const side of [o.ours, o.floor, o.ansible]) {
      positive(side.wallMs);
      positive(side.perInstanceMs);
      positive(side.perStepMs);
    }
    expect(o.ratios.oursOverFloor).toBeGreaterThan(0);
    expect(o.ratios.oursOverAnsible).toBeGreaterThan(0);
  });

  it('reports each scale point with history sizes, worker memory and the projected limit', () => {
    expect(results.scale.length).toBeGreaterThan(0);
    for (const p of results.scale) {
      positive(p.wallMs);
      positive(p.workerPeakRssBytes);
      expect(p.parentEvents).toBeGreaterThan(p.instances);
      expect(p.parentBytes).toBeGreaterThan(0);
      expect(p.largestChildEvents).toBeGreaterThan(0);
      // The largest single event (an upper bound for a payload) is measured, and is part of the history.
      expect(p.largestEventBytes).toBeGreaterThan(0);
      expect(p.largestEventBytes).toBeLessThan(p.parentBytes);
      expect(p.projectedInstancesAtEventLimit).toBeGreaterThan(p.instances);
      expect(typeof p.continueAsNewNeeded).toBe('boolean');
    }
  });

  it('reports approval latencies and recovery after a worker kill', () => {
    for (const l of results.latency.approvalToRejoin) {
      expect(l.n).toBeGreaterThan(0);
      expect(l.p50Ms).toBeGreaterThan(0);
      expect(l.p95Ms).toBeGreaterThanOrEqual(l.p50Ms);
    }
    positive(results.latency.workerKill.newWorkerReadyMs);
    positive(results.latency.workerKill.progressingAgainMs);
  });

  it('writes the tables to the markdown report', () => {
    for (const heading of ['## 1. Overhead per instance', '## 2. Scale', '## 3. Latency', '## 4. The real bed'])
      expect(markdown).toContain(heading);
    expect(markdown).toMatch(/ours \/ floor = \d+\.\d\d/);
    expect(markdown).toMatch(/ours \/ Ansible = \d+\.\d\d/);
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });
});
