/**
 * Time out of traffic per server as HAProxy saw it: from the sampler's rows (test/bed/haproxy-sampler.ts),
 * each period runs from the first sample that shows the server not UP (DRAIN, MAINT, DOWN: drained,
 * stopped or failing its check) to the first sample that shows it UP again; a server still out at the last
 * sample counts to that sample. Resolution: the sampler's interval. Pure, so ours and the playbook are
 * measured the same way.
 */
import type { HaproxySample } from '../test/bed/haproxy-sampler.js';

export interface ServerOutOfTraffic {
  server: string;
  totalMs: number;
  periods: number;
}

export function outOfTrafficByServer(samples: HaproxySample[], servers: string[]): ServerOutOfTraffic[] {
  return servers.map((server) => {
    let totalMs = 0;
    let periods = 0;
    let since: number | undefined;
    for (const s of samples) {
      const out = s.notUp.includes(server);
      if (out && since === undefined) {
        since = s.at;
        periods++;
      } else if (!out && since !== undefined) {
        totalMs += s.at - since;
        since = undefined;
      }
    }
    if (since !== undefined) totalMs += samples.at(-1)!.at - since;
    return { server, totalMs, periods };
  });
}
