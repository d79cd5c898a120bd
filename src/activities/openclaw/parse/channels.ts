/**
 * Parser of `openclaw channels status --probe --json`.
 */
import { z } from 'zod';
import { parseJson, stringifySafe, type Captured } from './json.js';

const ChannelsJson = z
  .object({
    gatewayReachable: z.boolean().optional(),
    error: z.string().optional(),
    channels: z.record(z.string(), z.unknown()).optional(),
    statusIssues: z.array(z.unknown()).optional(),
  })
  .loose();

export interface ChannelsStatus {
  gatewayReachable: boolean;
  healthy: boolean;
  channels: string[];
  issues: string[];
}

export function parseChannelsStatus(out: Captured): ChannelsStatus {
  const c = parseJson(
    'openclaw channels status --probe --json',
    out,
    ChannelsJson,
    'a JSON object with channels and statusIssues',
  );
  // Exit code 0 even when the gateway is down: the reachable flag (or its absence with an error) tells.
  const gatewayReachable = c.gatewayReachable ?? (c.error === undefined && c.channels !== undefined);
  const issues = (c.statusIssues ?? []).map((i) =>
    typeof i === 'string' ? i : stringifySafe(i, '(an issue too deeply nested to show)'),
  );
  if (!gatewayReachable && c.error) issues.unshift(c.error.split('\n')[0]!);
  return {
    gatewayReachable,
    healthy: gatewayReachable && issues.length === 0,
    channels: Object.keys(c.channels ?? {}),
    issues,
  };
}
