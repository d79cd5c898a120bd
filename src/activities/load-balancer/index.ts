/**
 * The load-balancer adapter: take a gateway out of rotation before its update, put it back after.
 * Three implementations, chosen by the inventory: HAProxy's runtime API, operator-supplied commands,
 * or none at all.
 */
import type { LoadBalancerConfig } from '../../shared/inventory.js';
import { commandLoadBalancer } from './command.js';
import { currentSessions, serverState, setServerState, type ServerAdminState } from './haproxy.js';

/** Which load balancer fronts the gateways: the inventory's `loadBalancer` (src/shared/inventory.ts). */
export type { LoadBalancerConfig };

/** A server as the load balancer sees it. */
export interface LoadBalancerServerState {
  /** The admin state, or `unknown` when the adapter cannot tell (command, none). */
  admin: ServerAdminState | 'unknown';
  /** Operational status as the load balancer prints it (HAProxy: `UP`, `DOWN`, `DRAIN`, ...), or `unknown`. */
  status: string;
  /** Sessions open on the server now. */
  sessions: number;
}

/** Takes servers (gateways, by their load-balancer name) out of and back into rotation. */
export interface LoadBalancer {
  /** Stops sending new connections to `server`; existing ones stay. Idempotent. */
  drain(server: string): Promise<void>;
  /** Sends new connections to `server` again. Idempotent. */
  ready(server: string): Promise<void>;
  /** Number of sessions open on `server` now. */
  sessions(server: string): Promise<number>;
  /** What the load balancer says about `server`. */
  state(server: string): Promise<LoadBalancerServerState>;
}

/** Options of createLoadBalancer. */
export interface LoadBalancerOptions {
  /** Cancels every call (pass the activity's cancellation signal); calls then reject with its reason. */
  signal?: AbortSignal;
  /** Time limit of each call in ms: default 5 s for the HAProxy socket, 30 s for commands. */
  timeoutMs?: number;
}

export { DEFAULT_COMMAND_TIMEOUT_MS } from './command.js';

/** Builds the adapter the config asks for. */
export function createLoadBalancer(config: LoadBalancerConfig, options: LoadBalancerOptions = {}): LoadBalancer {
  switch (config.type) {
    case 'haproxy':
      return haproxyLoadBalancer(config, options);
    case 'command':
      return commandLoadBalancer(config, options);
    case 'none':
      return noLoadBalancer;
  }
}

/** HAProxy through its runtime API. */
function haproxyLoadBalancer(config: { socket: string; backend: string }, options: LoadBalancerOptions): LoadBalancer {
  const call = { signal: options.signal, timeoutMs: options.timeoutMs };
  const { socket, backend } = config;
  return {
    drain: (server) => setServerState(socket, backend, server, 'drain', call),
    ready: (server) => setServerState(socket, backend, server, 'ready', call),
    sessions: (server) => currentSessions(socket, backend, server, call),
    async state(server) {
      const s = await serverState(socket, backend, server, call);
      return { admin: s.admin, status: s.status, sessions: s.currentSessions };
    },
  };
}

/** No load balancer: nothing to drain, nothing open. */
const noLoadBalancer: LoadBalancer = {
  drain: async () => {},
  ready: async () => {},
  sessions: async () => 0,
  state: async () => ({ admin: 'unknown', status: 'unknown', sessions: 0 }),
};
