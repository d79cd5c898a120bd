/** `status`'s section on emergency repairs (src/cli/repairs.ts finds them): one row each, or why none. */
import type { RepairList } from '../repairs.js';
import { formatTable } from './text-table.js';

const time = (d?: Date) => (d ? d.toISOString().slice(0, 19).replace('T', ' ') : '-');

export function repairsSection({ rows, truncated }: RepairList, instance?: string): string {
  const whose = instance ? `${instance}'s emergency repairs` : 'emergency repairs';
  if (!rows.length) return `${whose}: none running or finished in the last 24 h`;
  const table = formatTable(
    ['instance', 'device', 'state', 'started (UTC)', 'ended (UTC)', 'started by', 'detail'],
    rows.map((r) => [
      r.instance,
      r.deviceId.slice(0, 12),
      r.state,
      time(r.startTime),
      time(r.closeTime),
      r.startedBy === 'rollout' ? 'the rollout' : 'repair',
      r.detail,
    ]),
  );
  const more = truncated ? `\n(the newest ${rows.length} shown: temporal workflow list --query for all)` : '';
  return `${whose} (running, and finished in the last 24 h):\n${table}${more}`;
}
