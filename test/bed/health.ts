/** A one-look health table of the bed: each gateway's status, version, HAProxy state, devices. */
import * as oc from '../../src/activities/openclaw/index.js';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { formatTable } from '../../src/cli/views/text-table.js';
import type { BedInfo } from './bed.js';
import { gatewayAccess } from './clients.js';

export async function bedHealth(info: BedInfo): Promise<string> {
  const stat = await showStat(info.haproxy.socket).catch(() => []);
  const rows = await Promise.all(
    info.gateways.map(async (g) => {
      const ctx = { timeoutMs: 60_000 };
      const [status, devices] = await Promise.all([
        oc.gatewayStatus(gatewayAccess(g), ctx).catch((e: Error) => e),
        oc.devicesList(gatewayAccess(g), ctx).catch((e: Error) => e),
      ]);
      const lb = stat.find((r) => r.backend === info.haproxy.backend && r.server === g.lbServer);
      return [
        g.id,
        status instanceof Error ? 'DOWN' : status.healthy ? 'healthy' : 'unhealthy',
        status instanceof Error ? '-' : (status.version ?? '-'),
        lb ? `${lb.status} (${lb.currentSessions} sessions)` : '-',
        devices instanceof Error
          ? '-'
          : `${devices.paired.filter((d) => d.connected).length}/${devices.paired.length} connected, ${devices.pending.length} pending`,
      ];
    }),
  );
  return formatTable(['instance', 'gateway', 'version', 'haproxy', 'devices'], rows);
}
