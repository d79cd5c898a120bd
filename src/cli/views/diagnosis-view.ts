/** What `diagnose` prints without --json: one row per instance, then the findings and the verdict. */
import type { Diagnosis } from '../diagnose/verdict.js';
import { iso } from '../diagnose/findings.js';
import { formatTable } from './text-table.js';

export function formatDiagnosis(d: Diagnosis): string {
  const table = formatTable(
    ['instance', 'known', 'role', 'scopes', 'connected', 'pending', 'refused (correlated/all)'],
    d.rows.map((r) =>
      r.reachable
        ? [
            r.instance,
            r.known ? 'yes' : 'no',
            r.roles.join(',') || '-',
            r.scopes.join(',') || '-',
            r.known ? (r.connected ? 'yes' : 'no') : '-',
            r.pending.join(' ') || '-',
            `${r.refusalsCorrelated}/${r.refusalsAll}`,
          ]
        : [r.instance, 'UNREACHABLE', '-', '-', '-', '-', r.error ?? ''],
    ),
  );
  return [
    `device ${d.deviceId}${d.expected ? ` (inventory: ${d.expected.role} on ${d.expected.instance})` : ' (not in the inventory)'}, since ${iso(d.sinceMs)}`,
    table,
    '',
    d.attribution,
    ...d.findings.flatMap((f) => [
      '',
      `cause ${f.cause} (${f.causeName}) on ${f.instance}:`,
      `  ${f.evidence}`,
      `  fix: ${f.fix}`,
    ]),
    '',
    `verdict: ${d.verdict}`,
  ].join('\n');
}
