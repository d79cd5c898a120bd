/**
 * The bed's HAProxy: its supervisor program, its config (a frontend, the cluster's backend sticky per client path, an empty
 * `extra` backend for extra gateways) and whether it reports a server UP.
 */
import { runtimeCommand, showStat } from '../../src/activities/load-balancer/haproxy.js';
import { join } from 'node:path';
import { bedPath, type BedGateway } from './bed-gateway.js';
import type { Program } from './supervisor.js';

/** The HAProxy backend (and the frontend's path prefix) of gateways added by extra-gateway.ts. */
export const EXTRA_BACKEND = 'extra';
export const EXTRA_ROUTE_PREFIX = 'extra-';

/** The supervisor program that runs HAProxy in the foreground on `configFile`. */
export function haproxyProgram(dir: string, configFile: string): Program {
  return {
    name: 'haproxy',
    command: ['haproxy', '-W', '-db', '-f', configFile],
    directory: dir,
    environment: { PATH: bedPath() },
    logFile: join(dir, 'haproxy.log'),
    stopSignal: 'TERM',
  };
}

export function haproxyConfig(socket: string, frontendPort: number, gateways: BedGateway[]): string {
  return `global
  stats socket ${socket} mode 600 level admin
  stats timeout 30s

defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  timeout http-request 10s

frontend gateways_in
  bind 127.0.0.1:${frontendPort}
  # Clients of an extra gateway (extra-gateway.ts: an instance with its own inventory) connect to
  # /${EXTRA_ROUTE_PREFIX}<route>; every other path goes to the cluster's backend as before.
  use_backend ${EXTRA_BACKEND} if { path_beg /${EXTRA_ROUTE_PREFIX} }
  default_backend gateways

# Sticky per client device: a client connects to /<its route key> and is hashed on it, so the same
# device always lands on the same gateway while that gateway takes traffic (a drained server gets no
# new connections: hashing, unlike cookies or stick tables, does not override drain).
backend gateways
  http-request set-header X-Route %[path]
  http-request set-path /
  balance hdr(X-Route)
  hash-type consistent
  option httpchk GET /readyz
  default-server check inter 1s fall 2 rise 2
${gateways.map((g) => `  server ${g.lbServer} 127.0.0.1:${g.port}`).join('\n')}

# Empty until extra-gateway.ts adds a server with the runtime API (\`add server\`); routed like the
# cluster's backend (sticky per client by the path's hash, consistent hashing: dynamic servers allowed).
backend ${EXTRA_BACKEND}
  http-request set-header X-Route %[path]
  http-request set-path /
  balance hdr(X-Route)
  hash-type consistent
  option httpchk GET /readyz
`;
}

/** Whether HAProxy reports `server` (of `backend`, if given) UP. */
export async function lbServerUp(socket: string, server: string, backend?: string): Promise<boolean> {
  const rows = await showStat(socket).catch(() => []);
  return rows.some((r) => r.server === server && (backend === undefined || r.backend === backend) && r.status === 'UP');
}

/** Removes a server added at runtime (`backend/server`); `del server` needs it in maintenance and without connections. */
export async function removeRuntimeServer(socket: string, srv: string): Promise<void> {
  await runtimeCommand(socket, `disable server ${srv}`).catch(() => undefined);
  await runtimeCommand(socket, `shutdown sessions server ${srv}`).catch(() => undefined);
  for (let i = 0; i < 20; i++) {
    const reply = await runtimeCommand(socket, `del server ${srv}`).catch((e: Error) => e.message);
    if (/deleted|No such server|unknown/i.test(reply)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
}
