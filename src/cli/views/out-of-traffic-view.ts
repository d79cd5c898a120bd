/**
 * The time each instance was out of traffic (src/shared/out-of-traffic.ts) in words: the cell of the
 * `status` table, and the summary the demo prints once the rollout has ended. Times are UTC, like the
 * time stamps of `status --watch`.
 */
import type { InstanceProgress } from '../../shared/messages/rollout.js';
import { outOfTraffic } from '../../shared/out-of-traffic.js';
import { formatTable } from './text-table.js';

/** A duration as people read it: "45 s", "2 min 05 s", "1 h 02 min". */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/** "12:03:04" of an ISO time stamp (UTC). */
const clockTime = (iso: string) => iso.slice(11, 19);

/**
 * The `status` cell: "-" (never left traffic), the time out once back, "out since 12:03:04" while out.
 * It names no running duration, so `status --watch` prints a new table only when something changed.
 */
export function outOfTrafficCell(i: InstanceProgress): string {
  if (i.handedOver) return i.handedOver.outOfTrafficMs !== undefined ? durationText(i.handedOver.outOfTrafficMs) : '-';
  const o = outOfTraffic(i);
  const back = o.periods.some((p) => p.to) ? durationText(o.totalMs) : undefined;
  const out = o.outSince ? `out since ${clockTime(o.outSince)}` : undefined;
  return [back, out].filter(Boolean).join(', ') || '-';
}

/** One line per instance: how long it was out, and from when to when (the demo's closing summary). */
export function outOfTrafficSummary(instances: InstanceProgress[]): string {
  const rows = instances.map((i) => {
    const o = outOfTraffic(i);
    const spans = o.periods.map((p) => `${clockTime(p.from)} → ${p.to ? clockTime(p.to) : 'still out'}`);
    const time = o.periods.length === 0 ? 'never left traffic' : o.outSince ? 'still out' : durationText(o.totalMs);
    return [i.instance, time, spans.join(', ')];
  });
  return formatTable(['instance', 'out of traffic', 'drain → back in traffic (UTC)'], rows);
}
