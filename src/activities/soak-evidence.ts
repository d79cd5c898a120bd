/**
 * The evidence the canary mode promotes on: what the gateway logged and answers over a window (the soak,
 * or in preflight the same length before anything changed). Three reads in parallel on the host:
 * `openclaw gateway status`, `openclaw channels status --probe` and the refused connects in the log.
 */
import type { GatewayAccess } from '../shared/inventory.js';
import type { SoakFacts } from '../shared/promotion.js';
import type { CallContext } from './call-context.js';
import { channelsProbe } from './openclaw/checks.js';
import { gatewayStatus } from './openclaw/gateway.js';
import { refusedConnects } from './openclaw/logs.js';

/** What the soak saw: the shape the evidence gate judges (src/shared/promotion.ts). */
export type SoakEvidence = SoakFacts;

export async function soakEvidence(access: GatewayAccess, sinceMs: number, ctx: CallContext): Promise<SoakEvidence> {
  const [status, channels, logs] = await Promise.all([
    gatewayStatus(access, ctx),
    channelsProbe(access, ctx),
    refusedConnects(access, { sinceMs }, ctx),
  ]);
  const { refusals } = logs;
  return {
    healthy: status.healthy,
    channelsOk: channels.healthy,
    refused: refusals.length,
    mismatches: refusals.filter((x) => x.reason === 'device_token_mismatch').length,
    samples: refusals
      .slice(-3)
      .map((x) => `${x.time} ${x.reason} ${x.clientId ?? '?'}/${x.clientMode ?? '?'} ${x.role ?? '?'}`),
    linesRead: logs.linesRead,
  };
}
