/**
 * What 05's full rollout hands 05b-metrics: when it ran, each instance's turn, and the time out of
 * traffic its report recorded (the figures the Prometheus series must agree with).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { outOfTraffic } from '../../src/shared/out-of-traffic.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { BedInfo } from './bed.js';
import type { InstanceTurn } from './rollout-driver.js';

export interface MetricsWindow {
  from: number;
  to: number;
  turns: { instance: string; from: number; to: number; approvedAt: number }[];
  /** Milliseconds out of traffic per instance, from the report's step times. */
  outOfTrafficMs: Record<string, number>;
}

const file = (info: BedInfo) => join(info.dir, 'metrics-window.json');

export async function writeMetricsWindow(
  info: BedInfo,
  w: { from: number; to: number; turns: InstanceTurn[]; report: ClusterRolloutReport },
): Promise<void> {
  const window: MetricsWindow = {
    from: w.from,
    to: w.to,
    turns: w.turns.map((t) => ({
      instance: t.instance,
      from: t.from,
      to: t.to,
      approvedAt: Date.parse(w.report.instances.find((i) => i.instance === t.instance)!.decision!.at),
    })),
    outOfTrafficMs: Object.fromEntries(w.report.instances.map((i) => [i.instance, outOfTraffic(i).totalMs])),
  };
  await writeFile(file(info), JSON.stringify(window, null, 2));
}

export async function readMetricsWindow(info: BedInfo): Promise<MetricsWindow> {
  return JSON.parse(await readFile(file(info), 'utf8')) as MetricsWindow;
}
