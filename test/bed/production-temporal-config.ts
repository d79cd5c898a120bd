/**
 * The configuration files of the production bed's Temporal: the server's config.yaml (PostgreSQL
 * persistence and visibility through the postgres12 plugin, mTLS on the frontend, all four services in
 * one process), its dynamic config, and the Web UI server's config (mTLS to the frontend, codec endpoint).
 * These are the files docs/production-temporal.md's recipe shows.
 */
export interface ServerPorts {
  frontend: number;
  http: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface PostgresAccess {
  host: string;
  port: number;
  user: string;
  password: string;
}

const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

function datastore(db: string, pg: PostgresAccess): string {
  return `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: "${pg.password}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h`;
}

/**
 * The server's config.yaml: `server --config-file <this> --allow-no-auth start`. The frontend listens on
 * every address (mTLS with client certificates guards it): a gateway host in a network namespace reaches
 * it through its veth (netns.ts); the other services and membership stay on loopback.
 */
export function serverConfig(o: {
  ports: ServerPorts;
  pki: Pki;
  pg: PostgresAccess;
  dynamicConfigFile: string;
  numHistoryShards: number;
}): string {
  const { ports, pki } = o;
  const service = (name: (typeof SERVICES)[number]) => `
  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${ports.membership[name]}
      bindOnIP: ${name === 'frontend' ? `0.0.0.0\n      httpPort: ${ports.http}` : '127.0.0.1'}`;
  return `log: { stdout: true, level: warn }
persistence:
  defaultStore: default
  visibilityStore: visibility
  # Fixed when the cluster is first created; can never change afterwards.
  numHistoryShards: ${o.numHistoryShards}
  datastores:
    default:${datastore('temporal', o.pg)}
    visibility:${datastore('temporal_visibility', o.pg)}
${mtlsGlobal(pki)}
services:${SERVICES.map(service).join('')}
${singleCluster(ports)}
dynamicConfigClient: { filepath: ${o.dynamicConfigFile}, pollInterval: 60s }
`;
}

/**
 * The server config's `global:` block: membership on loopback, mTLS on the frontend (client certificates
 * required) and for the system worker. Shared with the 00-tls test's server (test/helpers/temporal-server.ts).
 */
export function mtlsGlobal(pki: Pki): string {
  const clientTls = `{ serverName: localhost, rootCaFiles: [${pki.ca}] }`;
  return `global:
  membership: { maxJoinDuration: 30s, broadcastAddress: 127.0.0.1 }
  tls:
    frontend:
      server: { certFile: ${pki.serverCert}, keyFile: ${pki.serverKey}, requireClientAuth: true, clientCaFiles: [${pki.ca}] }
      client: ${clientTls}
    systemWorker:
      certFile: ${pki.clientCert}
      keyFile: ${pki.clientKey}
      client: ${clientTls}`;
}

/** The server config's cluster metadata of a single, local cluster named `active` (shared as mtlsGlobal is). */
export function singleCluster(ports: Pick<ServerPorts, 'frontend' | 'http'>): string {
  return `clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: { enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "127.0.0.1:${ports.frontend}", httpAddress: "127.0.0.1:${ports.http}" }
dcRedirectionPolicy: { policy: noop }`;
}

/** The dynamic config temporal-docker-compose.yml writes too. */
export const DYNAMIC_CONFIG = `limit.maxIDLength:
  - value: 255
    constraints: {}
`;

/** The UI server's config (config/<env>.yaml under its --root): mTLS to the frontend, the codec endpoint. */
export function uiServerConfig(o: {
  frontendAddress: string;
  port: number;
  pki: Pki;
  namespace: string;
  codecEndpoint?: string;
}): string {
  return `temporalGrpcAddress: ${o.frontendAddress}
host: 127.0.0.1
port: ${o.port}
enableUi: true
defaultNamespace: ${o.namespace}
refreshInterval: 1m
hideLogs: false
cors:
  cookieInsecure: true
  allowOrigins: []
tls:
  caFile: ${o.pki.ca}
  certFile: ${o.pki.clientCert}
  keyFile: ${o.pki.clientKey}
  serverName: localhost
  enableHostVerification: true
codec:
  endpoint: ${o.codecEndpoint ?? ''}
  passAccessToken: false
  includeCredentials: false
`;
}
