// temporal-docker-compose.yml: docker-compose accepts it, and it has what an operator relies on
// (persistent PostgreSQL, schema set up before the server starts, namespace and search attributes
// registered, a recent UI wired to the server, gRPC on 7233). No Docker engine is needed:
// `docker-compose config -q` only parses, interpolates and validates the file.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_FILE = 'temporal-docker-compose.yml';

interface Service {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | number | { target?: number | string; published?: number | string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  healthcheck?: { test?: string | string[] };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `merge: true`: the file shares the database settings between services with a `<<: *anchor` merge key.
const compose = parse(readFileSync(join(projectRoot, COMPOSE_FILE), 'utf8'), { merge: true }) as ComposeFile;

function env(service: Service): Record<string, string> {
  const e = service.environment ?? {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

function dependsOn(service: Service): Record<string, string> {
  const d = service.depends_on ?? [];
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v.condition ?? 'service_started']));
}

/** `[published, target]` pairs of a service's ports, for short ("[ip:]host:container") and long syntax. */
function publishedPorts(service: Service): Array<[number, number]> {
  return (service.ports ?? []).flatMap((p): Array<[number, number]> => {
    if (typeof p === 'object') return p.published === undefined ? [] : [[Number(p.published), Number(p.target)]];
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    if (parts.length < 2) return [];
    return [[Number(parts[parts.length - 2]), Number(parts[parts.length - 1])]];
  });
}

function script(service: Service): string {
  const parts = [service.entrypoint, service.command].flatMap((x) =>
    x === undefined ? [] : Array.isArray(x) ? x : [x],
  );
  return parts.join(' ');
}

function servicesWithImage(prefix: string): Array<[string, Service]> {
  return Object.entries(compose.services).filter(([, s]) => s.image?.startsWith(prefix));
}

function theService(prefix: string): [string, Service] {
  const found = servicesWithImage(prefix);
  expect(
    found.map(([name]) => name),
    `exactly one service with image ${prefix}*`,
  ).toHaveLength(1);
  return found[0]!;
}

function imageTag(service: Service): string {
  const image = service.image ?? '';
  return image.slice(image.lastIndexOf(':') + 1);
}

/** Numeric version of a tag such as `2.49.1` or `16.14-alpine`. */
function versionOf(tag: string): number[] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
  if (!m) throw new Error(`image tag "${tag}" is not a pinned version (expected e.g. 2.49.1)`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

describe(COMPOSE_FILE, () => {
  it('is accepted by `docker-compose config -q`', async () => {
    const r = await execa('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: projectRoot, reject: false });
    if (r.exitCode === undefined) {
      const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
      throw new Error(
        code === 'ENOENT'
          ? "docker-compose is not on PATH: run `bash scripts/setup.sh` (it installs Debian's docker-compose, used only to validate this file)"
          : `could not run docker-compose: ${r.message}`,
      );
    }
    expect(r.stderr, 'docker-compose config -q output').toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('runs PostgreSQL with a healthcheck and its data on a named volume', () => {
    const [, pg] = theService('postgres:');
    versionOf(imageTag(pg));
    expect(pg.healthcheck?.test, 'postgres healthcheck').toBeDefined();
    const dataMounts = (pg.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
      .filter((v) => v.target === '/var/lib/postgresql/data');
    expect(dataMounts, 'a volume mounted at /var/lib/postgresql/data').toHaveLength(1);
    const source = dataMounts[0]!.source ?? '';
    expect(
      Object.keys(compose.volumes ?? {}),
      `"${source}" is a named volume (declared under top-level volumes:)`,
    ).toContain(source);
  });

  it('starts the server only after the schema job (temporal-sql-tool, postgres12, both databases) completed', () => {
    const [, server] = theService('temporalio/server:');
    versionOf(imageTag(server));
    expect(env(server)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: expect.any(String) });

    const schemaJobs = servicesWithImage('temporalio/admin-tools:').filter(([, s]) =>
      script(s).includes('temporal-sql-tool'),
    );
    expect(
      schemaJobs.map(([name]) => name),
      'one admin-tools service runs temporal-sql-tool',
    ).toHaveLength(1);
    const [schemaJob, job] = schemaJobs[0]!;
    const text = script(job);
    for (const needle of ['--plugin postgres12', 'temporal_visibility', 'setup-schema', 'update-schema'])
      expect(text).toContain(needle);
    expect(imageTag(job), 'admin-tools and server are the same version').toBe(imageTag(server));

    const deps = dependsOn(server);
    expect(deps[schemaJob], `server depends_on ${schemaJob}`).toBe('service_completed_successfully');
    expect(dependsOn(job)[env(server).POSTGRES_SEEDS ?? '']).toBe('service_healthy');
  });

  it('creates the namespace and registers the Keyword search attributes the workflows set', () => {
    const jobs = servicesWithImage('temporalio/admin-tools:').map(
      ([, s]) => `${script(s)} ${Object.values(env(s)).join(' ')}`,
    );
    expect(jobs.some((t) => t.includes('operator namespace create'))).toBe(true);
    const saJob = jobs.find((t) => t.includes('operator search-attribute create'));
    expect(saJob, 'a job runs `temporal operator search-attribute create`').toBeDefined();
    expect(saJob).toContain('--type Keyword');
    for (const name of ['OpenclawCluster', 'OpenclawPhase', 'OpenclawInstance']) expect(saJob).toContain(name);
  });

  it('publishes the server gRPC port 7233', () => {
    const [, server] = theService('temporalio/server:');
    expect(publishedPorts(server)).toContainEqual([7233, 7233]);
  });

  it('runs temporalio/ui >= 2.35 on port 8080, talking to the server', () => {
    const [, ui] = theService('temporalio/ui:');
    const [serverName] = theService('temporalio/server:');
    expect(atLeast(versionOf(imageTag(ui)), [2, 35, 0]), `temporalio/ui tag ${imageTag(ui)} >= 2.35`).toBe(true);
    expect(env(ui).TEMPORAL_ADDRESS).toBe(`${serverName}:7233`);
    expect(Object.keys(env(ui))).toContain('TEMPORAL_CODEC_ENDPOINT');
    expect(publishedPorts(ui)).toContainEqual([8080, 8080]);
    expect(dependsOn(ui)[serverName]).toBeDefined();
  });

  // The production-shaped bed (test/bed/production-temporal.ts) builds the server, its SQL tool and the UI
  // server from the releases scripts/versions.sh pins: the compose file must run the same ones.
  it('names the server, admin-tools and UI releases the production bed builds (scripts/versions.sh)', () => {
    const pinned = Object.fromEntries(
      [...readFileSync(join(projectRoot, 'scripts/versions.sh'), 'utf8').matchAll(/^([A-Z0-9_]+)=(\S+)$/gm)].map(
        (m) => [m[1]!, m[2]!],
      ),
    );
    expect(imageTag(theService('temporalio/server:')[1])).toBe(pinned.TEMPORAL_SERVER_VERSION);
    expect(imageTag(theService('temporalio/ui:')[1])).toBe(pinned.TEMPORAL_UI_SERVER_VERSION);
    for (const [name, job] of servicesWithImage('temporalio/admin-tools:'))
      expect(imageTag(job), name).toBe(pinned.TEMPORAL_SERVER_VERSION);
  });
});
