/**
 * Samples HAProxy's view every `intervalMs` (500 ms unless told): which servers are out of traffic (DRAIN or MAINT) and which are
 * not UP (also DOWN: failing their health check) at each moment.
 */
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import type { BedInfo } from './bed.js';
import { sleep } from './probes.js';

export interface HaproxySample {
  at: number;
  drained: string[];
  notUp: string[];
}

export function haproxySampler(info: BedInfo, intervalMs = 500) {
  const samples: HaproxySample[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const rows = (await showStat(info.haproxy.socket).catch(() => [])).filter(
        (r) => r.backend === info.haproxy.backend && r.server !== 'BACKEND',
      );
      samples.push({
        at: Date.now(),
        drained: rows.filter((r) => /DRAIN|MAINT/.test(r.status)).map((r) => r.server),
        notUp: rows.filter((r) => r.status !== 'UP').map((r) => r.server),
      });
      await sleep(intervalMs);
    }
  })();
  return {
    samples,
    /** The most servers out of traffic in any sample. */
    maxDrained: () => Math.max(0, ...samples.map((s) => s.drained.length)),
    stop: async () => {
      stop = true;
      await loop;
    },
  };
}
