/**
 * The production-shaped Temporal of the bed, under the bed's supervisord (what temporal-docker-compose.yml
 * runs, without Docker):
 *   - PostgreSQL (postgres.ts) with the `temporal` and `temporal_visibility` databases, whose schemas
 *     Temporal's own SQL tool creates (create, setup-schema -v 0.0, update-schema, as the compose file's job);
 *   - the Temporal server (go.temporal.io/server, all services in one process) on PostgreSQL, with mTLS
 *     from the bed's openssl CA, the namespace and the three Keyword search attributes made with `temporal operator`;
 *   - the Temporal Web UI server (github.com/temporalio/ui-server/v2) talking to it over mTLS, with the
 *     codec endpoint when the bed runs a codec server.
 * Used by startBed({ production: true }) and, on a dev-server bed, attached by the production e2e file.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cliConnection, makeTestPki, temporalCli } from '../helpers/temporal-server.js';
import { initPostgres, postgresReady } from './postgres.js';
import { freeLowPort, freePort } from './ports.js';
import { httpOk, waitFor } from './probes.js';
import { DYNAMIC_CONFIG, serverConfig, uiServerConfig, type ServerPorts } from './production-temporal-config.js';
import { Supervisor, type Program } from './supervisor.js';
import { temporalPostgresSchemaDir, temporalServerBin, temporalSqlToolBin, temporalUiServerBin } from './tools.js';

export const PRODUCTION_PROGRAMS = ['postgresql', 'temporal-server', 'temporal-ui-server'] as const;
const SEARCH_ATTRIBUTE_NAMES = ['OpenclawCluster', 'OpenclawPhase', 'OpenclawInstance'];

export interface ProductionTemporal {
  address: string;
  namespace: string;
  uiUrl: string;
  tls: { caFile: string; certFile: string; keyFile: string; serverName: string };
  postgres: { port: number; user: string; passwordFile: string; dataDir: string };
}

/** `temporal` CLI flags that reach this server over mTLS. */
export function productionCliConnection(t: Pick<ProductionTemporal, 'address' | 'tls'>): string[] {
  return cliConnection(t.address, {
    ca: t.tls.caFile,
    cert: t.tls.certFile,
    key: t.tls.keyFile,
    serverName: t.tls.serverName,
  });
}

async function serverPorts(): Promise<ServerPorts> {
  const taken: number[] = [];
  const p = async () => {
    const port = await freeLowPort(taken);
    taken.push(port);
    return port;
  };
  return {
    frontend: await p(),
    http: await p(),
    history: await p(),
    matching: await p(),
    worker: await p(),
    membership: { frontend: await p(), history: await p(), matching: await p(), worker: await p() },
  };
}

/** The compose file's schema job: create both databases and bring their schemas up to date. Idempotent. */
export async function setUpSchemas(pg: { port: number; user: string; passwordFile: string }): Promise<void> {
  const schema = temporalPostgresSchemaDir();
  const env = { SQL_PASSWORD: (await readFile(pg.passwordFile, 'utf8')).trim() };
  const sql = (db: string, ...args: string[]) =>
    execa(
      temporalSqlToolBin(),
      ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pg.port), '-u', pg.user, '--db', db, ...args],
      { env },
    );
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await sql(db, 'create');
    await sql(db, 'setup-schema', '-v', '0.0');
    await sql(db, 'update-schema', '-d', join(schema, dir, 'versioned'));
  }
}

/** Creates the namespace and registers the search attributes over mTLS, retrying while the server warms up. */
async function createNamespace(t: ProductionTemporal): Promise<void> {
  const conn = productionCliConnection(t);
  const ok = (args: string[], accept?: RegExp) => () =>
    temporalCli([...args, ...conn, '--command-timeout', '5s']).then(
      () => true,
      (err: Error) => !!accept && accept.test(err.message),
    );
  const ns = ['--namespace', t.namespace];
  await waitFor(
    'Temporal server namespace',
    ok(['operator', 'namespace', 'create', ...ns, '--retention', '72h'], /already exists|AlreadyExists/i),
    180_000,
  );
  for (const name of SEARCH_ATTRIBUTE_NAMES)
    await waitFor(
      `search attribute ${name}`,
      ok(['operator', 'search-attribute', 'create', ...ns, '--name', name, '--type', 'Keyword'], /already/i),
      120_000,
    );
  // The frontend sees a new namespace after its registry refresh (about 10 s).
  await waitFor('namespace registry', ok(['workflow', 'list', ...ns, '--limit', '1']), 60_000);
}

function goProgram(name: string, command: string[], dir: string, logFile: string): Program {
  return { name, command, directory: dir, environment: { HOME: dir }, logFile, startSecs: 3 };
}

/** Starts PostgreSQL, the schemas, the server and the UI server in `sup`'s supervisord. */
export async function startProductionTemporal(o: {
  dir: string;
  sup: Supervisor;
  codecEndpoint?: string;
  /** The UI server's port (the codec server allows its origin); default: a free one. */
  uiPort?: number;
  log: (line: string) => void;
}): Promise<ProductionTemporal> {
  const root = join(o.dir, 'temporal-production');
  await mkdir(join(root, 'ui-server', 'config'), { recursive: true });
  const pki = await makeTestPki(await mkdirp(join(root, 'pki')));
  const pg = await initPostgres(o.dir, await freePort());
  await o.sup.addProgram(pg.program);
  await waitFor('PostgreSQL', () => postgresReady(pg), 60_000);
  o.log(`postgresql :${pg.port} ready; creating the schemas with temporal-sql-tool`);
  await setUpSchemas(pg);

  const ports = await serverPorts();
  const dynamicConfigFile = join(root, 'dynamicconfig.yaml');
  await writeFile(dynamicConfigFile, DYNAMIC_CONFIG);
  const configFile = join(root, 'config.yaml');
  const password = (await readFile(pg.passwordFile, 'utf8')).trim();
  const pgAccess = { host: '127.0.0.1', port: pg.port, user: pg.user, password };
  await writeFile(configFile, serverConfig({ ports, pki, pg: pgAccess, dynamicConfigFile, numHistoryShards: 4 }), {
    mode: 0o600,
  });
  await chmod(configFile, 0o600);
  const t: ProductionTemporal = {
    address: `127.0.0.1:${ports.frontend}`,
    namespace: 'default',
    uiUrl: '',
    tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey, serverName: 'localhost' },
    postgres: { port: pg.port, user: pg.user, passwordFile: pg.passwordFile, dataDir: pg.dataDir },
  };
  await o.sup.addProgram(
    goProgram(
      'temporal-server',
      [temporalServerBin(), '--config-file', configFile, '--allow-no-auth', 'start'],
      root,
      join(o.dir, 'temporal-server.log'),
    ),
  );
  await createNamespace(t);

  const uiPort = o.uiPort ?? (await freePort());
  const uiRoot = join(root, 'ui-server');
  await writeFile(
    join(uiRoot, 'config', 'production.yaml'),
    uiServerConfig({
      frontendAddress: t.address,
      port: uiPort,
      pki,
      namespace: t.namespace,
      codecEndpoint: o.codecEndpoint,
    }),
  );
  await o.sup.addProgram(
    goProgram(
      'temporal-ui-server',
      [temporalUiServerBin(), '--root', uiRoot, '--config', 'config', '--env', 'production', 'start'],
      uiRoot,
      join(o.dir, 'temporal-ui-server.log'),
    ),
  );
  t.uiUrl = `http://127.0.0.1:${uiPort}`;
  await waitFor('Temporal UI server', () => httpOk(`${t.uiUrl}/api/v1/namespaces/${t.namespace}`), 60_000);
  return t;
}

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Stops and removes the production programs (for a file that attached them to a running bed). */
export async function stopProductionTemporal(sup: Supervisor): Promise<void> {
  for (const name of [...PRODUCTION_PROGRAMS].reverse()) await sup.removeProgram(name);
}

/**
 * The production Temporal of a bed: its own when the bed was started in production mode, else one
 * attached to the running bed's supervisord for the caller (detach() removes it again). The e2e suite
 * shares one dev-server bed, so the production e2e file attaches and pays ~10 s instead of a second bed.
 */
export async function bedProductionTemporal(
  info: { dir: string; temporal: { address: string; namespace: string; uiUrl: string; codecEndpoint?: string } } & {
    temporal: { tls?: ProductionTemporal['tls']; postgres?: ProductionTemporal['postgres'] };
  },
  log: (line: string) => void = (l) => console.log(`[production temporal] ${l}`),
): Promise<{ temporal: ProductionTemporal; attached: boolean; detach(): Promise<void> }> {
  const { tls, postgres } = info.temporal;
  if (tls && postgres)
    return { temporal: { ...info.temporal, tls, postgres }, attached: false, detach: async () => undefined };
  const sup = new Supervisor(info.dir);
  await stopProductionTemporal(sup); // leftovers of an interrupted run
  const temporal = await startProductionTemporal({
    dir: info.dir,
    sup,
    codecEndpoint: info.temporal.codecEndpoint,
    log,
  });
  return { temporal, attached: true, detach: () => stopProductionTemporal(sup) };
}
