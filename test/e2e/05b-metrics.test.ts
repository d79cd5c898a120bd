/**
 * The worker's metrics during 05's full rollout, as the bed's Prometheus scraped them every second
 * (05 starts it against its worker, served as `worker --metrics` serves: the same Runtime telemetry and
 * fleet gauges, updated every 2 s here). Asked through Prometheus' HTTP API with the PromQL an operator
 * graphs (the dashboard's, docs/monitoring/): the rollout running, each instance waiting for approval in
 * its turn, its time out of traffic as a gauge while out and as a histogram once back (equal to the
 * report's), approval waits, the rejected instance's rollback, no undelivered notification, the clean
 * mismatch checks, the SDK's own series, and the alert rules loaded and healthy. Runs right after 05 on
 * the same bed; writes the table the README shows to test-artifacts/metrics/promql.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/shared/inventory.js';
import type { BedInfo } from '../bed/bed.js';
import { bed } from '../bed/context.js';
import { readMetricsWindow, type MetricsWindow } from '../bed/metrics-window.js';
import {
  bedPrometheus,
  byLabel,
  loadedRules,
  metricNames,
  promQuery,
  stopPrometheus,
  type BedPrometheus,
} from '../bed/prometheus.js';
import { projectRoot } from '../bed/tools.js';
import { dashboardMetricNames } from '../helpers/dashboard.js';

let info: BedInfo;
let inventory: Inventory;
let prom: BedPrometheus;
let win: MetricsWindow;
const table: { expr: string; at: string; result: string }[] = [];

/** A query at `atMs`, kept for the README's table. */
async function q(expr: string, atMs: number, what: string) {
  const samples = await promQuery(prom, expr, atMs);
  const result = samples.length
    ? samples.map((s) => `${Object.values(s.metric).join(',') || 'value'}=${+s.value.toFixed(2)}`).join(' ')
    : '(empty)';
  table.push({ expr, at: what, result });
  return samples;
}

const span = (fromMs: number, toMs: number) => `${Math.max(1, Math.ceil((toMs - fromMs) / 1000))}s`;

beforeAll(async () => {
  ({ info, inventory } = await bed());
  const running = await bedPrometheus(info);
  if (!running) throw new Error('the bed has no Prometheus: 05-rollout starts it (run 05 and 05b together)');
  prom = running;
  win = await readMetricsWindow(info);
});
afterAll(async () => {
  await mkdir(join(projectRoot, 'test-artifacts', 'metrics'), { recursive: true });
  const rows = table.map((r) => `| \`${r.expr.replaceAll('|', '\\|')}\` | ${r.at} | ${r.result} |`);
  await writeFile(
    join(projectRoot, 'test-artifacts', 'metrics', 'promql.md'),
    ['| PromQL | at | result |', '|---|---|---|', ...rows].join('\n') + '\n',
  );
  if (info) await stopPrometheus(info);
});

describe('metrics of the full rollout, through Prometheus', () => {
  it('show each instance waiting and out of traffic in its own turn, and the times the report recorded', async () => {
    const c = `cluster="${inventory.cluster}"`;
    const end = win.to + 3000; // the last scrapes after the rollout's end
    const whole = span(win.from, win.to);
    expect((await q(`max(max_over_time(openclaw_rollout_running{${c}}[${whole}]))`, win.to, 'end'))[0]?.value).toBe(1);
    const done = await q(`max(max_over_time(openclaw_rollout_instances{${c},phase="Done"}[${whole}]))`, win.to, 'end');
    expect(done[0]?.value).toBe(inventory.instances.length);
    for (const t of win.turns) {
      const turn = span(t.from, t.approvedAt);
      const i = `${c},openclaw_instance="${t.instance}"`;
      const waiting = `max(max_over_time(openclaw_rollout_instances{${c},phase="AwaitingApproval"}[${turn}]))`;
      expect((await q(waiting, t.approvedAt, `${t.instance} approved`))[0]?.value, t.instance).toBe(1);
      const waited = `max(max_over_time(openclaw_rollout_instance_awaiting_person_seconds{${i}}[${turn}]))`;
      expect((await q(waited, t.approvedAt + 1000, `${t.instance} approved`))[0]?.value, t.instance).toBeGreaterThan(0);
      // Out of traffic: the gauge rose while it was out, never past what the report recorded for the stay.
      const out = `max(max_over_time(openclaw_rollout_instance_out_of_traffic_seconds{${i}}[${span(t.from, t.to)}]))`;
      const outMax = (await q(out, t.to, `${t.instance} done`))[0]?.value ?? 0;
      expect(outMax, t.instance).toBeGreaterThan(0);
      expect(outMax, t.instance).toBeLessThanOrEqual(win.outOfTrafficMs[t.instance]! / 1000 + 1);
    }
    // The histogram of stays out of traffic: one per instance in this rollout, its sum the report's time.
    // (The first instance also had a stay in 05's rejection test, in the same worker.)
    const counts = byLabel(
      await q(`sum by (openclaw_instance) (openclaw_rollout_out_of_traffic_seconds_count{${c}})`, end, 'end'),
      'openclaw_instance',
    );
    const sums = byLabel(
      await q(`sum by (openclaw_instance) (openclaw_rollout_out_of_traffic_seconds_sum{${c}})`, end, 'end'),
      'openclaw_instance',
    );
    const [first, ...rest] = inventory.instances.map((x) => x.id);
    expect(counts[first!]).toBeGreaterThanOrEqual(1);
    for (const id of rest) {
      expect(counts[id], id).toBe(1);
      expect(sums[id], id).toBeCloseTo(win.outOfTrafficMs[id]! / 1000, 1);
    }
    await q(`histogram_quantile(0.9, sum by (le) (openclaw_rollout_out_of_traffic_seconds_bucket{${c}}))`, end, 'end');
    const approvals = byLabel(
      await q(
        `sum by (openclaw_instance) (openclaw_rollout_approval_wait_seconds_count{${c},gate="rejoin"})`,
        end,
        'end',
      ),
      'openclaw_instance',
    );
    for (const id of inventory.instances.map((x) => x.id)) expect(approvals[id], id).toBeGreaterThanOrEqual(1);
  });

  it('count the rejection test rollback, no undelivered notification, and the clean mismatch checks', async () => {
    const c = `cluster="${inventory.cluster}"`;
    const end = win.to + 3000;
    const first = inventory.instances[0]!.id;
    const rollbacks = await q(`sum by (openclaw_instance) (openclaw_rollout_rollbacks_total{${c}})`, end, 'end');
    expect(byLabel(rollbacks, 'openclaw_instance')[first]).toBeGreaterThanOrEqual(1);
    const failed = await q(`sum(openclaw_rollout_notifications_failed_total{${c}}) or vector(0)`, end, 'end');
    expect(failed[0]?.value).toBe(0);
    const mismatches = await q(
      `sum by (check, in_rollout) (openclaw_rollout_mismatch_refusals_total{${c}})`,
      end,
      'end',
    );
    expect(mismatches.map((s) => `${s.metric.check}/${s.metric.in_rollout}`)).toContain('verify-after-rejoin/true');
    await q(`sum by (step) (openclaw_rollout_steps_failed_total{${c}}) or vector(0)`, end, 'end');
  });

  it("hold the SDK's own series and every temporal_ metric the dashboard graphs; the alert rules load", async () => {
    const names = await metricNames(prom, win.from, win.to + 3000);
    const mid = (win.from + win.to) / 2;
    const pollers = await q(
      `sum by (poller_type) (temporal_num_pollers{worker_cluster="${inventory.cluster}"})`,
      mid,
      'mid-rollout',
    );
    expect(pollers.length).toBeGreaterThan(0);
    const dashboard = JSON.parse(
      await readFile(join(projectRoot, 'docs/monitoring/grafana-dashboard.json'), 'utf8'),
    ) as unknown;
    const sdk = dashboardMetricNames(dashboard).filter((n) => n.startsWith('temporal_'));
    expect(sdk.length).toBeGreaterThan(0);
    expect(sdk.filter((n) => !names.includes(n))).toEqual([]);
    const rules = await loadedRules(prom);
    expect(rules.length).toBeGreaterThanOrEqual(4);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });
});
