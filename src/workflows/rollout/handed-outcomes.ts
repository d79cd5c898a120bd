/**
 * The handover's compact form (patched 'slim-progress-v1'), small enough for 5,000 instances (well under
 * the SDK's 256 KB payload warning): instances that finished cleanly are grouped by what they share
 * (phase, versions, decision, last check), named by their places in the inventory ("0-249,300"), with
 * per instance only the seconds out of traffic; the others (failed, rolled back, skipped, needing
 * attention) keep compactInstance's form. The preflight's facts are grouped the same way, with each
 * instance's sessions and canary baseline. What a grouped instance loses: its steps (kept: time out of
 * traffic to the second and last check, see `handedOver`), its backup record and promotion evidence
 * (both stay in its own workflow's history), and its decision's time (the group's first).
 */
import type { InstancePhase, InstanceProgress } from '../../shared/messages/rollout.js';
import { outOfTraffic } from '../../shared/out-of-traffic.js';
import { CHECK_STEPS, isStep } from '../../shared/steps.js';
import type { PreflightReport } from '../preflight.js';
import { compactInstance } from './handover.js';

export interface OutcomeGroup {
  phase: InstancePhase;
  versionBefore: string | null;
  versionAfter: string | null;
  decision?: Omit<NonNullable<InstanceProgress['decision']>, 'instance'>;
  sessions?: number;
  approvalTimeouts: number;
  alreadyOnTarget?: boolean;
  lastCheck?: string;
  /** The instances' places in the inventory, as ranges ("0-249,300"). */
  at: string;
  /** Per instance (same order): seconds out of traffic, -1 when it never left. */
  outS: number[];
}

export interface HandedOutcomes {
  groups: OutcomeGroup[];
  others: InstanceProgress[];
}

/** Places in the inventory as ranges: [0, 1, 2, 5] → "0-2,5". */
export function toRanges(places: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < places.length;) {
    let j = i;
    while (j + 1 < places.length && places[j + 1] === places[j]! + 1) j++;
    parts.push(j > i ? `${places[i]}-${places[j]}` : String(places[i]));
    i = j + 1;
  }
  return parts.join(',');
}

export function fromRanges(ranges: string): number[] {
  return ranges.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  });
}

const LEGACY_CHECK = /^verify|^doctor|connected again$/;
const isClean = (i: InstanceProgress) => i.phase === 'Done' && !i.needsAttention && !i.decisions?.length && !i.failure;

/** An instance handed over before has no steps: its facts come from the earlier handover. */
function lastCheckOf(i: InstanceProgress): string | undefined {
  if (i.handedOver) return i.handedOver.lastCheck;
  const check = i.steps.filter((s) => isStep(s, CHECK_STEPS, LEGACY_CHECK) && s.status !== 'running').at(-1);
  return check && `${check.step}: ${check.status}`;
}

/** Seconds out of traffic, -1 when it never left (from an earlier handover when it has no steps). */
function secondsOut(i: InstanceProgress): number {
  if (i.handedOver)
    return i.handedOver.outOfTrafficMs !== undefined ? Math.round(i.handedOver.outOfTrafficMs / 1000) : -1;
  const out = outOfTraffic(i);
  return out.periods.length ? Math.round(out.totalMs / 1000) : -1;
}

/** What clean instances of one group share (the key of the group). */
function sharedOf(i: InstanceProgress) {
  const { instance: _id, ...decision } = i.decision ?? { instance: '' };
  const lastCheck = lastCheckOf(i);
  return {
    phase: i.phase,
    versionBefore: i.versionBefore,
    versionAfter: i.versionAfter,
    ...(i.decision ? { decision: decision as OutcomeGroup['decision'] } : {}),
    ...(i.sessions !== undefined ? { sessions: i.sessions } : {}),
    approvalTimeouts: i.approvalTimeouts,
    ...(i.alreadyOnTarget ? { alreadyOnTarget: true } : {}),
    ...(lastCheck ? { lastCheck } : {}),
  };
}

/** Groups the clean instances (`ids`: the inventory's, for their places), keeps the others compact. */
export function packOutcomes(finished: InstanceProgress[], ids: string[]): HandedOutcomes {
  const place = new Map(ids.map((id, n) => [id, n]));
  const groups = new Map<string, Omit<OutcomeGroup, 'at'> & { places: number[] }>();
  const others: InstanceProgress[] = [];
  for (const i of [...finished].sort((a, b) => place.get(a.instance)! - place.get(b.instance)!)) {
    if (!isClean(i)) {
      others.push(compactInstance(i));
      continue;
    }
    const shared = sharedOf(i);
    const { at: _at, ...key } = shared.decision ?? {};
    const k = JSON.stringify({ ...shared, decision: key });
    const group = groups.get(k) ?? { ...shared, places: [], outS: [] };
    groups.set(k, group);
    group.places.push(place.get(i.instance)!);
    group.outS.push(secondsOut(i));
  }
  return { groups: [...groups.values()].map(({ places, ...g }) => ({ ...g, at: toRanges(places) })), others };
}

/** The instances again, as the rollout's progress and report list them. */
export function unpackOutcomes(o: HandedOutcomes, ids: string[]): InstanceProgress[] {
  const grouped = o.groups.flatMap(({ at, outS, lastCheck, decision, ...shared }) =>
    fromRanges(at).map((n, k): InstanceProgress => {
      const instance = ids[n]!;
      return {
        instance,
        ...shared,
        ...(decision ? { decision: { ...decision, instance } } : {}),
        steps: [],
        ignored: [],
        handedOver: {
          ...(outS[k]! >= 0 ? { outOfTrafficMs: outS[k]! * 1000 } : {}),
          ...(lastCheck ? { lastCheck } : {}),
        },
      };
    }),
  );
  return [...grouped, ...o.others];
}

interface PreflightGroup {
  healthy: boolean;
  version: string | null;
  lb: { status: string; admin: string } | null;
  warnings?: string[];
  /** The canary baselines' window (one per rollout), when the instances have one. */
  windowMs?: number;
  at: string;
  /** Per instance: sessions on the load balancer (-1 without one) and refused connects of the baseline. */
  sessions: number[];
  refused: number[];
}

export interface HandedPreflight {
  ok: boolean;
  groups: PreflightGroup[];
}

/** The preflight's facts later runs read (verdict, per instance version, health, load balancer, baseline), grouped. */
export function packPreflight(p: PreflightReport, ids: string[]): HandedPreflight {
  const place = new Map(ids.map((id, n) => [id, n]));
  const groups = new Map<string, Omit<PreflightGroup, 'at'> & { places: number[] }>();
  for (const i of p.instances) {
    const shared = {
      healthy: i.healthy,
      version: i.version,
      lb: i.lb && { status: i.lb.status, admin: i.lb.admin },
      ...(i.warnings?.length ? { warnings: i.warnings } : {}),
      ...(i.baseline ? { windowMs: i.baseline.windowMs } : {}),
    };
    const key = JSON.stringify(shared);
    const group = groups.get(key) ?? { ...shared, places: [], sessions: [], refused: [] };
    groups.set(key, group);
    group.places.push(place.get(i.instance)!);
    group.sessions.push(i.lb ? i.lb.sessions : -1);
    group.refused.push(i.baseline ? i.baseline.refused : -1);
  }
  return { ok: p.ok, groups: [...groups.values()].map(({ places, ...g }) => ({ ...g, at: toRanges(places) })) };
}

/** The preflight report again, in inventory order. */
export function unpackPreflight(h: HandedPreflight, ids: string[]): PreflightReport {
  const instances = h.groups.flatMap(({ at, sessions, refused, lb, windowMs, ...shared }) =>
    fromRanges(at).map((n, k) => ({
      place: n,
      instance: ids[n]!,
      ...shared,
      lb: lb && { ...lb, sessions: sessions[k]! },
      missingDevices: [],
      problems: [],
      ...(windowMs !== undefined && refused[k]! >= 0 ? { baseline: { refused: refused[k]!, windowMs } } : {}),
    })),
  );
  instances.sort((a, b) => a.place - b.place);
  return { ok: h.ok, instances: instances.map(({ place: _place, ...i }) => i) };
}
