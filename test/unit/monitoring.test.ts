/**
 * The monitoring kit (issue 30): `worker --metrics` refuses a bad address naming the flag and the fix;
 * the fleet gauges' values from a rollout's progress; the alert rules pass `promtool check rules`
 * (Debian's prometheus, installed by scripts/setup.sh) and, like the Grafana dashboard, use only metrics
 * the worker exports (the rollout's from src/shared/metrics.ts, the SDK's as e2e 05b saw them scraped).
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { run, UsageError } from '../../src/starter.js';
import { exitCode } from '../../src/cli/main.js';
import { metricsBindAddress } from '../../src/worker/metrics/bind-address.js';
import { fleetState, waitingSince } from '../../src/worker/metrics/fleet-state.js';
import { GAUGE_PHASES, METRICS, ROLLOUT_METRIC_NAMES } from '../../src/shared/metrics.js';
import type { InstanceProgress, RolloutProgress } from '../../src/shared/messages/rollout.js';
import { dashboardMetricNames, promqlMetricNames } from '../helpers/dashboard.js';

const root = join(import.meta.dirname, '../..');
const RULES = join(root, 'docs/monitoring/alert-rules.yml');
const DASHBOARD = join(root, 'docs/monitoring/grafana-dashboard.json');

/** The SDK's own metrics the dashboard may graph: each was scraped from the bed's worker (05b checks it). */
const SDK_METRICS = new Set([
  'temporal_num_pollers',
  'temporal_worker_task_slots_available',
  'temporal_workflow_task_execution_latency_bucket',
  'temporal_activity_schedule_to_start_latency_bucket',
  'temporal_activity_execution_latency_bucket',
  'temporal_sticky_cache_size',
]);

/** A series name the worker exports: a rollout metric (a histogram's _bucket/_sum/_count) or an SDK one. */
function exported(name: string): boolean {
  if (SDK_METRICS.has(name)) return true;
  if (ROLLOUT_METRIC_NAMES.includes(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return Object.values(METRICS).some((m) => m.kind === 'histogram' && m.name === base);
}

describe('worker --metrics', () => {
  it('takes host:port and refuses anything else, naming the flag and an example', async () => {
    expect(metricsBindAddress('127.0.0.1:9464')).toBe('127.0.0.1:9464');
    expect(metricsBindAddress('0.0.0.0:9464')).toBe('0.0.0.0:9464');
    expect(metricsBindAddress('localhost:9464')).toBe('127.0.0.1:9464');
    expect(metricsBindAddress('[::1]:9464')).toBe('[::1]:9464');
    expect(() => metricsBindAddress('notaport')).toThrow(
      'worker: --metrics notaport: expected <host>:<port> to serve metrics on, e.g. --metrics 127.0.0.1:9464',
    );
    expect(() => metricsBindAddress('127.0.0.1:70000')).toThrow('port 70000 is not between 1 and 65535');
    expect(() => metricsBindAddress('metrics.example:9464')).toThrow('metrics.example is not an IP address');
    const err = await run(['worker', '--inventory', 'x.yaml', '--metrics', 'notaport']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(exitCode(err)).toBe(2);
    const help: string[] = [];
    await run(['worker', '--help'], (s) => help.push(s));
    expect(help.join('\n')).toContain('--metrics <host:port>  serve Prometheus metrics');
  });
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const inst = (instance: string, phase: InstanceProgress['phase'], extra: Partial<InstanceProgress> = {}) =>
  ({
    instance,
    phase,
    versionBefore: '1',
    versionAfter: null,
    steps: [],
    ignored: [],
    approvalTimeouts: 0,
    ...extra,
  }) satisfies InstanceProgress;

describe('fleet gauges', () => {
  it('count instances by phase, and time out of traffic and waiting for a person so far', () => {
    const waiting = inst('gw-1', 'AwaitingApproval', {
      steps: [
        { id: 'drain', step: 'drain', status: 'ok', startedAt: at(0), endedAt: at(5) },
        { id: 'verify-status', step: 'verify', status: 'ok', startedAt: at(10), endedAt: at(20) },
      ],
    });
    const failed = inst('gw-2', 'Failed', { failure: { step: 'restart', message: 'x', at: at(30) } });
    const progress = { instances: [waiting, failed, inst('gw-3', 'Pending')] } as unknown as RolloutProgress;
    expect(waitingSince(waiting)).toBe(at(20));
    const s = fleetState(progress, ['gw-1', 'gw-2', 'gw-3', 'gw-4'], Date.parse(at(50)));
    expect(s.running).toBe(1);
    expect(Object.keys(s.phases)).toEqual([...GAUGE_PHASES]);
    expect(s.phases).toMatchObject({ AwaitingApproval: 1, Failed: 1, Pending: 1, Done: 0 });
    expect(s.outOfTraffic).toEqual({ 'gw-1': 50, 'gw-2': 0, 'gw-3': 0, 'gw-4': 0 });
    expect(s.awaitingPerson).toEqual({ 'gw-1': 30, 'gw-2': 20, 'gw-3': 0, 'gw-4': 0 });
    // No rollout running: every series is still set, to 0 (none goes stale with an old value).
    const idle = fleetState(undefined, ['gw-1'], Date.parse(at(50)));
    expect(idle).toMatchObject({ running: 0, outOfTraffic: { 'gw-1': 0 }, awaitingPerson: { 'gw-1': 0 } });
    expect(Object.values(idle.phases).every((n) => n === 0)).toBe(true);
  });
});

describe('alert rules and dashboard', () => {
  it('promtool check rules accepts the alert rules', async () => {
    const r = await execa('promtool', ['check', 'rules', RULES], { reject: false });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('the rules cover the four alerts of the issue and use only metrics the worker exports', async () => {
    const doc = parseYaml(await readFile(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'OpenclawInstanceOutOfTrafficTooLong',
        'OpenclawRolloutWaitingForPerson',
        'OpenclawMismatchRefusalsOutsideRollout',
        'OpenclawHostQueueWithoutWorker',
      ]),
    );
    const names = rules.flatMap((r) => promqlMetricNames(r.expr));
    expect(names.filter((n) => !exported(n))).toEqual([]);
  });

  it("the dashboard's PromQL names only metrics the worker exports, and every rollout metric is graphed", async () => {
    const names = dashboardMetricNames(JSON.parse(await readFile(DASHBOARD, 'utf8')));
    expect(names.filter((n) => !exported(n))).toEqual([]);
    const graphed = new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect(ROLLOUT_METRIC_NAMES.filter((n) => !graphed.has(n))).toEqual([]);
  });

  it('reads metric names out of PromQL (not functions, labels or variables)', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.9, sum by (le, gate) (rate(a_bucket{cluster=~"$cluster"}[5m]))) / on (x) b unless c',
      ),
    ).toEqual(['a_bucket', 'b', 'c']);
    expect(promqlMetricNames('label_values(openclaw_rollout_running, cluster)')).toEqual(['openclaw_rollout_running']);
  });
});
