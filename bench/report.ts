/** Writes the benchmark's results: the JSON as measured, and docs/benchmarks.md as tables for people. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Environment } from './environment.js';
import type { KillRecoveryResult } from './kill-recovery.js';
import type { OverheadResult } from './overhead.js';
import type { PeerBedResult } from './peer-bed.js';
import type { RealBedResult } from './real-bed.js';
import { peerMarkdown } from './report-peer.js';
import { scaleMarkdown } from './report-scale.js';
import type { ScalePoint } from './scale.js';
import type { OldReleaseJump } from './old-releases.js';
import { percentile, type Summary } from './stats.js';

export interface BenchResults {
  mode: string;
  environment: Environment;
  durationMs: number;
  overhead: OverheadResult;
  scale: ScalePoint[];
  latency: {
    approvalToRejoin: { source: string; n: number; p50Ms: number; p95Ms: number }[];
    workerKill: KillRecoveryResult;
  };
  realBed: RealBedResult[] | null;
  realBedError?: string;
  /** Section 5: our rollout and the runbook's Ansible playbook on one three-gateway bed (null: not run). */
  realBedPeer?: PeerBedResult | null;
  realBedPeerError?: string;
  /** When section 5 was measured on its own (`--only-peer`). */
  peerMeasuredAt?: string;
  /** When section 4 was measured on its own (`--only-bed`): the other sections are from `environment.date` of an earlier run. */
  bedMeasuredAt?: string;
  /** When `--only-kill` last measured the worker-kill rows (the rest of the file may be older). */
  killMeasuredAt?: string;
  /** When `--only-scale` last measured section 2. */
  scaleMeasuredAt?: string;
  /** Section 5: the jumps from the older from-releases (full run or `--only-old`). */
  oldReleases?: OldReleaseJump[];
  oldReleasesMeasuredAt?: string;
}

const ms = (v: number) =>
  v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
const sum = (s: Summary, f: (v: number) => string = ms) =>
  s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);

export function latencySummary(source: string, values: number[]) {
  return { source, n: values.length, p50Ms: percentile(values, 50), p95Ms: percentile(values, 95) };
}

export function toMarkdown(r: BenchResults): string {
  const e = r.environment;
  const o = r.overhead;
  const k = r.latency.workerKill;
  const sinceReady = k.progressingSinceReadyMs;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${r.mode === 'full' ? '' : ` -- --${r.mode}`}\` (bench/, results also in benchmarks.json). Figures are **median (min–max)** over the runs named in each table; one run shows one value.`,
    '',
    '| | |',
    '|---|---|',
    `| date | ${e.date} |`,
    `| machine | ${e.machine.cpu}, ${e.machine.cores} cores, ${e.machine.memoryGiB} GiB, Linux ${e.machine.kernel}, load average at start ${e.machine.loadAverageAtStart} (shared machine) |`,
    `| versions | Node ${e.versions.node}, Temporal CLI ${e.versions.temporalCli} (dev server, SQLite file), Temporal TypeScript SDK ${e.versions.temporalSdk}, Ansible core ${e.versions.ansible}, OpenClaw ${e.versions.openclawFrom} → ${e.versions.openclawTarget}, HAProxy ${e.versions.haproxy} |`,
    `| whole benchmark | ${ms(r.durationMs)} |`,
    '',
    `## 1. Overhead per instance (${o.instances} instances, batch size 1, ${o.repetitions} runs each, interleaved)`,
    '',
    `Ours: the real \`clusterRollout\` → \`instanceRollout\` workflows with every activity answering at once (bench/noop-activities.ts), approvals sent automatically as soon as an instance waits; ${o.stepsPerInstance} activities per instance (preflight and final check included). Floor: one bare workflow running the same number of no-op activities in sequence on the same dev server. Ansible: \`ansible-playbook\` with the same steps as \`command: true\` on local-connection hosts (preflight play, rolling play with \`serial: 1\`, final-check play; ${o.ansible.commandsPerHost} commands per host, default forks), its start-up included.`,
    '',
    '| | wall time | per instance | per step |',
    '|---|---|---|---|',
    `| ours (rollout workflows, no-op executor) | ${sum(o.ours.wallMs)} | ${sum(o.ours.perInstanceMs)} | ${sum(o.ours.perStepMs)} |`,
    `| floor (bare workflow, same number of activities) | ${sum(o.floor.wallMs)} | ${sum(o.floor.perInstanceMs)} | ${sum(o.floor.perStepMs)} |`,
    `| Ansible (serial playbook, no-op commands) | ${sum(o.ansible.wallMs)} | ${sum(o.ansible.perInstanceMs)} | ${sum(o.ansible.perStepMs)} |`,
    '',
    `**ours / floor = ${o.ratios.oursOverFloor.toFixed(2)}**, **ours / Ansible = ${o.ratios.oursOverAnsible.toFixed(2)}** (ratios of the medians). Our overhead per instance is ${ms(o.ours.perInstanceMs.median)}, of which the floor (one server round trip per activity) is ${ms(o.floor.perInstanceMs.median)}; the rest is the child workflow per instance, the progress signals to the parent, the approval query + signal, and the mismatch-window timer.`,
    '',
    ...scaleMarkdown(r.scale, r.latency.approvalToRejoin, k, r.scaleMeasuredAt),
    '## 3. Latency',
    '',
    '| what | runs | p50 | p95 |',
    '|---|---|---|---|',
    ...r.latency.approvalToRejoin.map(
      (l) =>
        `| approval signal sent → rejoin activity started, ${l.source} | ${l.n} | ${ms(l.p50Ms)} | ${ms(l.p95Ms)} |`,
    ),
    '',
    'With batch size 25 (or 5% of 5,000: 250) the approvals of a batch arrive together: each goes through the parent (forwarded to its child by a signal) while the same worker also runs 25 children, so the later ones in a batch wait behind the others.',
    '',
    `| worker process SIGKILLed while an instance waits for approval (approval sent right after the kill, new worker started at once)${r.killMeasuredAt ? `; measured ${r.killMeasuredAt} with \`--only-kill\`` : ''} | runs | median (min–max) | goal |`,
    '|---|---|---|---|',
    `| kill → new worker polling | ${k.kills} | ${sum(k.newWorkerReadyMs)} | |`,
    `| kill → rollout progressing again (rejoin activity started) | ${k.kills} | ${sum(k.progressingAgainMs)} | |`,
    ...(sinceReady
      ? [
          `| new worker polling → rollout progressing again | ${k.kills} | ${sum(sinceReady)} | ≤ 3 s: ${sinceReady.max <= 3000 ? 'met' : '**missed**'} |`,
        ]
      : []),
    '',
    "After a kill the workflow task that the approval creates goes to the dead worker's sticky queue and waits for its schedule-to-start timeout before any worker may take it from the normal queue. The SDK's default is 10 s (10.3 s to progress again on 2026-11-24); the workers set it to 2 s (src/worker/tuning.ts; docs/production-temporal.md says why). A kill in the middle of an activity is bounded instead by that activity's timeouts (start-to-close: policy `stepTimeouts.cli` + 10 s for checks; heartbeat 60 s for install, restart, drain and device waits).",
    '',
  ];
  if (r.realBed) {
    lines.push(...outOfTrafficMarkdown(r.realBed, r.bedMeasuredAt));
    for (const b of r.realBed) lines.push(...realBedMarkdown(b));
    if (r.realBedError) lines.push(`Section 4 stopped early: ${r.realBedError}`, '');
  } else
    lines.push(
      '## 4. The real bed',
      '',
      r.realBedError
        ? `Failed in this run: ${r.realBedError}`
        : 'Not run in this mode (`npm run bench` without flags runs it).',
      '',
    );
  lines.push(...peerSection(r));
  lines.push(...oldReleasesMarkdown(r.oldReleases, r.oldReleasesMeasuredAt));
  return lines.join('\n');
}

function peerSection(r: BenchResults): string[] {
  if (r.realBedPeer) return peerMarkdown(r.realBedPeer, r.peerMeasuredAt);
  const why = r.realBedPeerError
    ? `Failed in this run: ${r.realBedPeerError}`
    : 'Not run in this mode (`npm run bench` without flags, or `-- --only-peer`, runs it).';
  return ['## 5. A peer on the same bed: the runbook as an Ansible playbook', '', why, ''];
}

/** Section 6: per older from-release, its jump to the target as a rollout on the real bed. */
function oldReleasesMarkdown(jumps: OldReleaseJump[] | undefined, measuredAt?: string): string[] {
  const head = ['## 6. Older releases', ''];
  if (!jumps?.length) return [...head, 'Not run in this mode (`npm run bench` or `-- --only-old` runs it).', ''];
  const s = (v: number | undefined) => (v === undefined ? '-' : ms(v));
  return [
    ...head,
    `Each of versions.sh's OPENCLAW_OLD_FROM_VERSIONS jumped to the target as a rollout of one extra gateway with a client paired and held through HAProxy, approved as soon as it waited${measuredAt ? ` (measured ${measuredAt})` : ''}. The window: drain → rejoin done, the approval wait out.`,
    '',
    '| from → to | completed | outcome | window | rollout | pairing / client protocol | client back | mismatches |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...jumps.map(
      (j) =>
        `| ${j.fromVersion} → ${j.targetVersion || '?'} | ${j.completed ? 'yes' : 'no'} | ${j.outcome} | ${s(j.windowMs)} | ${s(j.rolloutWallMs)} | ${j.pairing ?? '-'} / ${j.clientProtocols ?? '-'} | ${j.clientBack === undefined ? '-' : j.clientBack ? 'yes' : 'no'} | ${j.mismatches ?? '-'} |`,
    ),
    '',
    ...jumps.flatMap((j) => [
      `Checks that fell back from ${j.fromVersion}:${j.fallbacks.length ? '' : ' none'}`,
      ...j.fallbacks.map((f) => `- ${f.step}: ${f.detail}`),
      ...(j.error ? [`- error: ${j.error}`] : []),
      '',
    ]),
  ];
}

/** Section 4's summary: per install type, the time out of traffic and the wall time against their floors, with the goals. */
function outOfTrafficMarkdown(beds: RealBedResult[], measuredAt?: string): string[] {
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  return [
    `## 4. The real bed: time out of traffic (one gateway, ${beds[0]!.fromVersion} → ${beds[0]!.targetVersion}, supervisor stop/start, one node device; 1 run per install type${measuredAt ? `; measured ${measuredAt} with \`--only-bed\`` : ''})`,
    '',
    "Out of traffic: from the drain call to the end of the rejoin, the (automatic) approval wait taken out. Its floor: what must happen while the instance is out, measured alone in the same run (the restart command until `/readyz` answers, plus one `devices rotate` per device). Per-instance wall time: the instance's first step to its last (the verification after rejoin and its mismatch window included), approval wait out, against the unavoidable steps (`npm i -g` + restart to `/readyz` + rotations).",
    '',
    '| install type | out of traffic | floor | ratio (goal: staged ≤ 2) | per-instance wall time | unavoidable steps | ratio (goal ≤ 1.5) |',
    '|---|---|---|---|---|---|---|',
    ...beds.map((b) => {
      const f = b.instance;
      const goal = b.installType === 'staged' ? ` ${met(f.ratioToFloor <= 2)}` : '';
      return `| ${b.installType} | ${ms(f.outOfTrafficMs)} | ${ms(f.floorMs)} | ${f.ratioToFloor.toFixed(2)}${goal} | ${ms(f.instanceWallMs)} | ${ms(f.unavoidableMs)} | ${f.ratioToUnavoidable.toFixed(2)} ${met(f.ratioToUnavoidable <= 1.5)} |`;
    }),
    '',
    'What is left between the time out of traffic and its floor, by phase:',
    '',
    `| phase | ${beds.map((b) => b.installType).join(' | ')} |`,
    `|---|${beds.map(() => '---|').join('')}`,
    ...[...new Set(beds.flatMap((b) => b.instance.byPhase.map((p) => p.phase)))].map(
      (phase) =>
        `| ${phase} | ${beds.map((b) => ms(b.instance.byPhase.find((p) => p.phase === phase)?.durationMs ?? 0)).join(' | ')} |`,
    ),
    '',
  ];
}

function realBedMarkdown(b: RealBedResult): string[] {
  const u = b.unavoidable;
  return [
    `### 4.${b.installType === 'staged' ? 1 : 2} Every step and call, \`${b.installType}\` install (one gateway, ${b.fromVersion} → ${b.targetVersion}, supervisor stop/start, one node device; 1 run)`,
    '',
    `The rollout took **${ms(b.rolloutWallMs)}** from start to report, of which ${ms(b.approvalWaitMs)} waiting for the automatic approval and ${ms(b.mismatchWindowMs)} the policy's mismatch window. The steps no rollout can avoid, measured alone in the same run: \`npm i -g openclaw@${b.targetVersion}\` ${ms(u.installMs)}, restart command until \`/readyz\` ${ms(u.restartToReadyMs)}, one \`devices rotate\` ${ms(u.rotationMs)}: **${ms(u.sumMs)}**. Rollout (minus approval and window) / unavoidable = **${b.ratioToUnavoidable.toFixed(2)}**; the difference is the runbook's checks (OpenClaw CLI calls, 2–20 s each here), the drain wait (the node host keeps its socket, so the wait runs to the policy's drain deadline) and the engine (the last row of the phase table).`,
    '',
    '| phase | time |',
    '|---|---|',
    ...b.phases.map((p) => `| ${p.phase} | ${ms(p.durationMs)} |`),
    '',
    'Every activity call (each is one or more OpenClaw CLI calls, an npm install, a supervisor command or HAProxy socket call); "parallel with" names calls that ran at the same time:',
    '',
    '| # | start | activity | workflow | duration | parallel with |',
    '|---|---|---|---|---|---|',
    ...b.calls.map(
      (c, i) =>
        `| ${i} | ${ms(c.startMs)} | ${c.activity} | ${c.workflow} | ${ms(c.durationMs)} | ${c.parallelWith.join(', ') || '–'} |`,
    ),
    '',
    'The engine waits on the CLI in sequence during the instance steps (each check gates the next step); the preflight and the final check run their three calls per instance in parallel (gateway status ‖ devices list ‖ load-balancer state), and the verification after rejoin runs gateway status ‖ channels probe ‖ log scan in parallel.',
    '',
  ];
}

export async function writeResults(dir: string, r: BenchResults): Promise<{ markdown: string; json: string }> {
  const markdown = join(dir, 'benchmarks.md');
  const json = join(dir, 'benchmarks.json');
  await writeFile(json, JSON.stringify(r, null, 2) + '\n');
  await writeFile(markdown, toMarkdown(r));
  return { markdown, json };
}
