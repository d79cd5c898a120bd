/**
 * Parsers of `openclaw gateway status --json` (health, version, boot id; the gateway's http address,
 * also when it is down) and `openclaw gateway restart --json`.
 */
import { z } from 'zod';
import { parseJson, type Captured } from './json.js';

const GatewayStatusJson = z
  .object({
    gateway: z
      .object({
        port: z.number().optional(),
        version: z.string().nullable().optional(),
        probeUrl: z.string().optional(),
      })
      .loose(),
    port: z
      .object({
        status: z.string().optional(),
        listeners: z
          .array(z.object({ pid: z.number().optional(), address: z.string().optional() }).loose())
          .default([]),
      })
      .loose()
      .optional(),
    rpc: z
      .object({
        ok: z.boolean(),
        version: z.string().nullable().optional(),
        server: z.object({ version: z.string().optional(), bootId: z.string().optional() }).loose().optional(),
        url: z.string().optional(),
        error: z.unknown().optional(),
      })
      .loose(),
  })
  .loose();

export interface GatewayStatus {
  /** Runtime running (a process listens on the gateway port) and the RPC probe answered. */
  healthy: boolean;
  runtimeRunning: boolean;
  rpcOk: boolean;
  /** The version the running gateway reports over RPC (null when it did not answer). */
  version: string | null;
  bootId: string | null;
  pid: number | null;
  url: string | null;
}

/**
 * `remote`: the CLI reached the gateway by --url, so it cannot see the gateway's process (the port
 * check is about this host): an answering RPC probe is then the proof that the runtime runs.
 */
export function parseGatewayStatus(out: Captured, opts: { remote?: boolean } = {}): GatewayStatus {
  const s = parseJson(
    'openclaw gateway status --json',
    out,
    GatewayStatusJson,
    'a JSON object with gateway, port and rpc',
  );
  const listeners = s.port?.listeners ?? [];
  const rpcOk = s.rpc.ok === true;
  const runtimeRunning = opts.remote ? rpcOk : listeners.length > 0;
  return {
    healthy: rpcOk && runtimeRunning,
    runtimeRunning,
    rpcOk,
    version: rpcOk ? (s.rpc.server?.version ?? s.rpc.version ?? null) : null,
    bootId: s.rpc.server?.bootId ?? null,
    pid: listeners[0]?.pid ?? null,
    url: s.rpc.url ?? s.gateway.probeUrl ?? null,
  };
}

/** The base http URL of the gateway from `gateway status --json` (`gateway.probeUrl` or bind host + port), or undefined. */
export function parseGatewayProbeUrl(out: Captured): string | undefined {
  const s = parseJson(
    'openclaw gateway status --json',
    out,
    z
      .object({
        gateway: z
          .object({ probeUrl: z.string().optional(), bindHost: z.string().optional(), port: z.number().optional() })
          .loose(),
      })
      .loose(),
    'a JSON object with gateway.probeUrl or gateway.port',
  );
  if (s.gateway.probeUrl && /^wss?:\/\//.test(s.gateway.probeUrl)) {
    const u = new URL(s.gateway.probeUrl);
    return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  }
  if (s.gateway.port)
    return `http://${s.gateway.bindHost && s.gateway.bindHost !== '0.0.0.0' ? s.gateway.bindHost : '127.0.0.1'}:${s.gateway.port}`;
  return undefined;
}

const RestartJson = z
  .object({ ok: z.boolean(), result: z.string().optional(), message: z.string().optional() })
  .loose();

export function parseRestart(out: Captured): { ok: boolean; result?: string; message?: string } {
  return parseJson('openclaw gateway restart --json', out, RestartJson, 'a JSON object with ok and result');
}
