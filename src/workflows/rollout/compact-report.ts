/**
 * The report of a large fleet (patched 'compact-report-v1', more than FULL_REPORT_UP_TO instances): the
 * full report grows by some 2 KB per instance, about 8 MB at 5,000, past Temporal's 2 MB payload limit,
 * so the rollout could not complete. The compact one lists only the exceptions (instances that failed,
 * were rolled back or skipped, need attention, or had a problem or warning in a check) and groups the
 * instances that ended cleanly the way the handover does (rollout/handed-outcomes.ts). Each instance's
 * full detail stays in its own workflow (`status --instance <id>`).
 */
import { packOutcomes, toRanges, type OutcomeGroup } from './handed-outcomes.js';
import { KEPT_RECORDS } from './handover.js';
import type { PreflightReport } from '../preflight.js';
import type { ClusterRolloutReport } from './types.js';

/** Fleets up to this size keep the full report. */
export const FULL_REPORT_UP_TO = 50;

/** What a compact report's lists leave out. */
export interface CompactSummary {
  /** Instances in the inventory. */
  fleet: number;
  /**
   * The instances that ended cleanly, grouped by what they share: `at` names their places in the
   * inventory (0-based, as ranges "0-249,300"), `outS` each one's seconds out of traffic (-1: never left).
   */
  clean: OutcomeGroup[];
  /** The places of the instances never rolled out (a rollout that stopped early), as ranges. */
  notTouched?: string;
  /** Instances whose preflight (and final check) passed with no problem or warning: not listed. */
  preflightPassed: number;
  finalCheckPassed?: number;
}

/** The full report made compact; `ids` are the inventory's instance ids, in inventory order. */
export function compactReport(report: ClusterRolloutReport, ids: string[]): ClusterRolloutReport {
  const place = new Map(ids.map((id, n) => [id, n]));
  const finished = report.instances.filter((i) => i.phase !== 'Pending');
  const untouched = report.instances.filter((i) => i.phase === 'Pending').map((i) => place.get(i.instance)!);
  const { groups, others } = packOutcomes(finished, ids);
  const preflight = exceptionsOf(report.preflight);
  const finalCheck = report.finalCheck && exceptionsOf(report.finalCheck);
  return {
    ...report,
    preflight: preflight.listed,
    instances: others,
    ...(finalCheck ? { finalCheck: finalCheck.listed } : {}),
    ignored: report.ignored.slice(-KEPT_RECORDS),
    compact: {
      fleet: ids.length,
      clean: groups,
      ...(untouched.length ? { notTouched: toRanges(untouched.sort((a, b) => a - b)) } : {}),
      preflightPassed: preflight.passed,
      ...(finalCheck ? { finalCheckPassed: finalCheck.passed } : {}),
    },
  };
}

/** A check's report listing only the instances with a problem or warning, unhealthy, or not in traffic. */
function exceptionsOf(check: PreflightReport): { listed: PreflightReport; passed: number } {
  const instances = check.instances.filter(
    (i) =>
      i.problems.length || i.warnings?.length || i.unchecked || !i.healthy || (i.lb !== null && i.lb.admin !== 'ready'),
  );
  return { listed: { ...check, instances }, passed: check.instances.length - instances.length };
}
