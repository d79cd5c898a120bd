/**
 * How `preflight`, `plan` and `start` print the checks before anything changes: the per-instance
 * preflight table, the checks table, and the problems and warnings one per line (what `start` prints
 * when it refuses).
 */
import type { Inventory } from '../../shared/inventory.js';
import type { CheckResult } from '../../shared/preflight-rules.js';
import type { PreflightReport } from '../workflow-starts.js';
import { formatTable } from './text-table.js';

/** One row per instance: gateway health, version, load balancer, problems (the checks are listed below it). */
export function preflightTable(report: PreflightReport): string {
  const rows = report.instances.map((i) => [
    i.instance,
    i.unchecked ? 'not asked' : i.healthy ? 'healthy' : 'NOT HEALTHY',
    i.version ?? '-',
    i.lb ? `${i.lb.status}, ${i.lb.sessions} sessions` : '-',
    i.unchecked && !i.problems.length
      ? 'not checked: a host worker is missing (below)'
      : i.takenUp && !i.problems.length
        ? 'none: taken up from the last rollout (below)'
        : problemsCell(i.problems, [...(i.checks ?? []), ...(report.cluster ?? [])]),
  ]);
  return formatTable(['instance', 'gateway', 'version', 'load balancer', 'problems'], rows);
}

const SHOWN = { ok: 'ok', failed: 'FAILED', warning: 'warning', skipped: 'skipped' } as const;

/** The checks as a table: instance (or cluster), check, result, what was found (and the fix when it failed). */
export function checksTable(report: PreflightReport, inventory: Pick<Inventory, 'cluster'>): string {
  const row = (who: string, c: CheckResult) => [
    who,
    c.check,
    SHOWN[c.status],
    `${c.found}${c.status === 'failed' || c.status === 'warning' ? `${c.rule ? ` Runbook rule: "${c.rule}"` : ''}${c.fix ? ` Fix: ${c.fix}` : ''}` : ''}`.replace(
      /\s*\n\s*/g,
      ' ',
    ),
  ];
  const rows = [
    ...(report.cluster ?? []).map((c) => row(`(${inventory.cluster})`, c)),
    ...report.instances.flatMap((i) => (i.checks ?? []).map((c) => row(i.instance, c))),
  ];
  return formatTable(['instance', 'check', 'result', 'what was found'], rows);
}

/** Every problem, one per line, named by instance (what `start` prints when it refuses). */
export function problemLines(report: PreflightReport): string[] {
  return report.instances.flatMap((i) => i.problems.map((p) => `${i.instance}: ${p.replace(/\s*\n\s*/g, ' ')}`));
}

/** The instances the last rollout left out of traffic that this one takes up, one per line. */
export function takenUpLines(report: PreflightReport): string[] {
  return report.instances.flatMap((i) => (i.takenUp ? [`${i.instance}: ${i.takenUp}`] : []));
}

/** Every warning, one per line. */
export function warningLines(report: PreflightReport): string[] {
  return report.instances.flatMap((i) =>
    (i.warnings ?? []).map((p) => `${i.instance}: ${p.replace(/\s*\n\s*/g, ' ')}`),
  );
}

/** The problems column of the preflight table: the gateway's own problems, and how many checks failed (listed below it). */
export function problemsCell(problems: string[], checks: CheckResult[] | undefined): string {
  const failedChecks = new Set((checks ?? []).filter((c) => c.status === 'failed').map((c) => c.check));
  const own = problems.filter(
    (p) => ![...failedChecks].some((c) => p.startsWith(`${c}:`)) && !/^sticky-routing: as for /.test(p),
  );
  const n = problems.length - own.length;
  return [...own, ...(n ? [`${n} failed check${n > 1 ? 's' : ''} (below)`] : [])].join('; ') || 'ok';
}
