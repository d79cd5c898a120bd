/**
 * Debian's Prometheus on the bed (under the bed's supervisord): scrapes the worker's --metrics address
 * every second with the repo's alert rules loaded, keeps its data in <bed>/prometheus, and answers
 * PromQL through its HTTP API (what the e2e asserts, as an operator's dashboard would ask).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BedInfo } from './bed.js';
import { freePort } from './ports.js';
import { httpOk, waitFor } from './probes.js';
import { Supervisor } from './supervisor.js';
import { bedPath } from './bed-gateway.js';
import { projectRoot } from './tools.js';

export const ALERT_RULES = join(projectRoot, 'docs/monitoring/alert-rules.yml');
const PROGRAM = 'prometheus';

export interface BedPrometheus {
  url: string;
}

const where = (info: BedInfo) => join(info.dir, 'prometheus');

/** Starts (or restarts) the bed's Prometheus scraping `targets` (host:port) and waits until it is ready. */
export async function startPrometheus(info: BedInfo, targets: string[]): Promise<BedPrometheus> {
  const dir = where(info);
  await mkdir(join(dir, 'data'), { recursive: true });
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 5s }',
    `rule_files: [${JSON.stringify(ALERT_RULES)}]`,
    'scrape_configs:',
    '  - job_name: openclaw-rollout-worker',
    `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config + '\n');
  const port = await freePort();
  const sup = new Supervisor(info.dir);
  await sup.removeProgram(PROGRAM);
  await sup.addProgram({
    name: PROGRAM,
    command: [
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
    ],
    directory: dir,
    environment: { PATH: bedPath() },
    logFile: join(dir, 'prometheus.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus /-/ready', () => httpOk(`${url}/-/ready`), 60_000);
  await writeFile(join(dir, 'url'), url);
  return { url };
}

/** The bed's running Prometheus (started by an earlier file), if any. */
export async function bedPrometheus(info: BedInfo): Promise<BedPrometheus | undefined> {
  const file = join(where(info), 'url');
  if (!existsSync(file)) return undefined;
  const url = (await readFile(file, 'utf8')).trim();
  return (await httpOk(`${url}/-/ready`)) ? { url } : undefined;
}

export async function stopPrometheus(info: BedInfo): Promise<void> {
  await new Supervisor(info.dir).removeProgram(PROGRAM);
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An instant PromQL query (at `atMs`, default now): the vector's samples. */
export async function promQuery(p: BedPrometheus, expr: string, atMs?: number): Promise<Sample[]> {
  const params = new URLSearchParams({ query: expr, ...(atMs ? { time: String(atMs / 1000) } : {}) });
  const res = await fetch(`${p.url}/api/v1/query?${params.toString()}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`PromQL ${expr}: ${body.error ?? res.status}`);
  if (body.data!.resultType === 'scalar') {
    const v = body.data!.result as unknown as [number, string];
    return [{ metric: {}, value: Number(v[1]) }];
  }
  return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** The samples as { label value: number } by one label (e.g. openclaw_instance). */
export const byLabel = (samples: Sample[], label: string): Record<string, number> =>
  Object.fromEntries(samples.map((s) => [s.metric[label] ?? '', s.value]));

/** Every metric name Prometheus holds between two times. */
export async function metricNames(p: BedPrometheus, fromMs: number, toMs: number): Promise<string[]> {
  const params = new URLSearchParams({ start: String(fromMs / 1000), end: String(toMs / 1000) });
  const res = await fetch(`${p.url}/api/v1/label/__name__/values?${params.toString()}`);
  return ((await res.json()) as { data: string[] }).data;
}

/** The rules Prometheus loaded (with their health), from its API. */
export async function loadedRules(p: BedPrometheus): Promise<{ name: string; health: string }[]> {
  const res = await fetch(`${p.url}/api/v1/rules`);
  const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
  return body.data.groups.flatMap((g) => g.rules);
}

/** Polls `expr` until it returns a sample (what a dashboard would show), or fails after `timeoutMs`. */
export async function waitForSeries(p: BedPrometheus, expr: string, timeoutMs = 30_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await promQuery(p, expr);
    if (samples.length) return samples;
    if (Date.now() > deadline) throw new Error(`Prometheus: ${expr} returned nothing within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
