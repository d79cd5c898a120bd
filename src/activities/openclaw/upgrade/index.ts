/**
 * Upgrades that may skip releases: what a jump from one release to another crosses (the releases in
 * between, and the database schemas that change, from each release's package.json
 * `openclaw.schemaVersions`), read from the registry through the instance's own npm, and the new
 * release's `openclaw doctor --fix --non-interactive` that applies the migrations doctor asks for
 * (run with the gateway stopped, as the package's docs/install/updating/update-methods.md says for a
 * manual npm update: stop, install, `openclaw doctor --fix`, start, verify).
 *
 * The pure functions (releaseJump, compareReleases, parseNpmView*) are for `plan`; the I/O ones take a
 * CallContext like openclaw.ts. The Temporal wrappers are in index.ts.
 */
import { z } from 'zod';
import { CheckFailedError, ConfigurationError, TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import type { Instance, InstallSpec } from '../../../shared/inventory.js';
import { quote } from '../../host/redact.js';
import { answersHttp, gatewayHttpUrl, serviceCommand } from '../backup/index.js';
import { runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import type { Captured } from '../parse/index.js';
import type { CallContext } from '../../call-context.js';
import { execute } from '../../host/exec.js';

/** A release's `openclaw.schemaVersions` (e.g. `{ state: 18, agent: 23 }`); null when it declares none. */
export type SchemaVersions = Record<string, number>;

export interface ReleaseInfo {
  version: string;
  /** null: the release's package.json declares no `openclaw.schemaVersions` (releases before 2026.8 or so). */
  schemaVersions: SchemaVersions | null;
}

export interface SchemaChange {
  /** The database kind as the package names it (`state`, `agent`, ...). */
  schema: string;
  from: number | null;
  to: number | null;
}

export interface ReleaseJump {
  from: string;
  to: string;
  direction: 'upgrade' | 'downgrade' | 'same';
  /** Published stable releases strictly between the two (empty when not known or none). */
  crossed: string[];
  /** Every schema whose version differs (or that only one side declares). */
  schemaChanges: SchemaChange[];
  /**
   * `yes`: a schema changes, so the new release migrates the state (doctor --fix, or its gateway on
   * start) and the old release refuses it afterwards; `no`: both declare the same schemas; `unknown`: a
   * side declares none (treat as yes: take the backup).
   */
  migrations: 'yes' | 'no' | 'unknown';
  /** A rollback after the update needs the backup taken before it (not just the old package). */
  rollbackNeedsBackup: boolean;
  /** One or two sentences for `plan`. */
  summary: string;
}

// ---------------------------------------------------------------------------------------------------
// Release order

const RELEASE = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** Whether `v` is a plain release version (2026.9.6, 2026.9.1-beta.1), not a dist-tag. */
export function isReleaseVersion(v: string): boolean {
  return RELEASE.test(v);
}

/** Orders OpenClaw versions (YYYY.M.N[-pre]) numerically; a prerelease sorts before its release. NaN when either is not a version. */
export function compareReleases(a: string, b: string): number {
  const ma = RELEASE.exec(a);
  const mb = RELEASE.exec(b);
  if (!ma || !mb) return Number.NaN;
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  const partsA = pa.split('.');
  const partsB = pb.split('.');
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i];
    const y = partsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    const d = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The stable releases of `published` strictly between `from` and `to` (either order), oldest first. */
export function releasesBetween(from: string, to: string, published: string[]): string[] {
  const [lo, hi] = compareReleases(from, to) <= 0 ? [from, to] : [to, from];
  return published
    .filter((v) => isReleaseVersion(v) && !v.includes('-') && compareReleases(v, lo) > 0 && compareReleases(v, hi) < 0)
    .sort(compareReleases);
}

// ---------------------------------------------------------------------------------------------------
// The jump

const list = (xs: string[], max = 6) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max - 1).join(', ')}, …, ${xs.at(-1)!}`);

/**
 * What going from `from` to `to` crosses: the releases in between (from `published`, the registry's
 * version list, when given) and the schemas that change. Pure.
 */
export function releaseJump(from: ReleaseInfo, to: ReleaseInfo, published: string[] = []): ReleaseJump {
  const order = compareReleases(from.version, to.version);
  const direction = order < 0 ? 'upgrade' : order > 0 ? 'downgrade' : from.version === to.version ? 'same' : 'upgrade';
  const crossed = Number.isNaN(order) ? [] : releasesBetween(from.version, to.version, published);
  const schemaChanges: SchemaChange[] = [];
  if (from.schemaVersions && to.schemaVersions) {
    const names = [...new Set([...Object.keys(from.schemaVersions), ...Object.keys(to.schemaVersions)])].sort();
    for (const schema of names) {
      const a = from.schemaVersions[schema] ?? null;
      const b = to.schemaVersions[schema] ?? null;
      if (a !== b) schemaChanges.push({ schema, from: a, to: b });
    }
  }
  const migrations = !from.schemaVersions || !to.schemaVersions ? 'unknown' : schemaChanges.length > 0 ? 'yes' : 'no';
  const rollbackNeedsBackup = migrations !== 'no';
  const parts: string[] = [];
  const path = `${from.version} → ${to.version}`;
  if (direction === 'same') {
    parts.push(`${path}: same release, nothing to migrate.`);
  } else {
    parts.push(
      `${path}${direction === 'downgrade' ? ' (a downgrade)' : ''}` +
        (crossed.length ? ` crosses ${crossed.length} release${crossed.length > 1 ? 's' : ''} in between (${list(crossed)})` : published.length ? ' is one release' : '') +
        '.',
    );
    const changes = schemaChanges.map((c) => `${c.schema} schema ${c.from ?? 'none'} → ${c.to ?? 'none'}`).join(', ');
    if (migrations === 'yes' && direction === 'upgrade') {
      parts.push(
        `Migrations will run (${changes}): ${to.version}'s doctor --fix migrates the state, and ${from.version} refuses it afterwards, so a rollback then needs the backup taken before the update.`,
      );
    } else if (migrations === 'yes') {
      parts.push(`${to.version} declares older schemas (${changes}): it refuses a state that ${from.version} already migrated; going back needs a backup taken before that migration.`);
    } else if (migrations === 'unknown') {
      const missing = [from, to].filter((r) => !r.schemaVersions).map((r) => r.version).join(' and ');
      parts.push(`${missing} declare${missing.includes(' and ') ? '' : 's'} no schema versions: cannot tell whether migrations run; assume they do (a rollback needs the backup taken before the update).`);
    } else {
      parts.push(`No schema changes (${Object.entries(to.schemaVersions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'none declared'}): the old release can still open the state.`);
    }
  }
  return { from: from.version, to: to.version, direction, crossed, schemaChanges, migrations, rollbackNeedsBackup, summary: parts.join(' ') };
}

// ---------------------------------------------------------------------------------------------------
// The registry: `npm view openclaw@<v> openclaw.schemaVersions --json`

const SchemaVersionsJson = z.record(z.string(), z.number().int().nonnegative());
const NpmErrorJson = z.object({ error: z.object({ code: z.string().optional(), summary: z.string().optional(), detail: z.string().optional() }).loose() }).loose();

/** A package.json's `openclaw.schemaVersions` (null when absent). Throws UnexpectedOutputError when malformed. */
export function parsePackageSchemaVersions(packageJson: string, where: string): SchemaVersions | null {
  let pkg: unknown;
  try {
    pkg = JSON.parse(packageJson);
  } catch {
    throw new UnexpectedOutputError(where, 'a package.json', quote(packageJson, 300));
  }
  const raw = (pkg as { openclaw?: { schemaVersions?: unknown } } | null)?.openclaw?.schemaVersions;
  if (raw === undefined) return null;
  const r = SchemaVersionsJson.safeParse(raw);
  if (!r.success) throw new UnexpectedOutputError(where, 'openclaw.schemaVersions as { name: integer }', quote(JSON.stringify(raw), 300));
  return r.data;
}

/**
 * `npm view openclaw@<version> openclaw.schemaVersions --json`: exit 0 with `{"state":18,"agent":23}`;
 * exit 0 with nothing when the release declares none (→ null); exit 1 with `{"error":{"code":"E404",...}}`
 * when no such release exists (→ ConfigurationError); anything else → TransientError (registry down) or
 * UnexpectedOutputError.
 */
export function parseNpmViewSchemaVersions(out: Captured, version: string): SchemaVersions | null {
  const command = `npm view openclaw@${version} openclaw.schemaVersions --json`;
  const text = out.stdout.trim();
  let data: unknown;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new UnexpectedOutputError(command, 'a JSON object of schema versions', quote(text, 300));
    }
  }
  const err = NpmErrorJson.safeParse(data);
  if (err.success) {
    if (err.data.error.code === 'E404') {
      throw new ConfigurationError(`openclaw@${version} is not in the registry (${command}: ${quote(err.data.error.summary ?? 'E404', 200)}). Check the target version (\`npm view openclaw versions\`).`);
    }
    throw new TransientError(`${command} failed (${quote(err.data.error.code ?? 'error', 50)}): ${quote(err.data.error.summary ?? '', 300)}. Is the registry reachable from this host?`);
  }
  if (out.exitCode !== 0) {
    throw new TransientError(`${command} exited with code ${out.exitCode}: ${quote(out.stderr || out.stdout || '(nothing)', 500)}. Is the registry reachable from this host?`);
  }
  if (data === undefined) return null;
  const r = SchemaVersionsJson.safeParse(data);
  if (!r.success) throw new UnexpectedOutputError(command, 'a JSON object of schema versions ({ name: integer })', quote(text, 300));
  return r.data;
}

/** `npm view openclaw versions --json`: the published versions (a one-element answer is a bare string). */
export function parseNpmViewVersions(out: Captured): string[] {
  const command = 'npm view openclaw versions --json';
  let data: unknown;
  try {
    data = JSON.parse(out.stdout.trim());
  } catch {
    throw new TransientError(`${command} exited with code ${out.exitCode} and printed no JSON: ${quote(out.stderr || out.stdout || '(nothing)', 500)}`);
  }
  if (typeof data === 'string') return [data];
  const r = z.array(z.string()).safeParse(data);
  if (!r.success) throw new UnexpectedOutputError(command, 'a JSON list of versions', quote(out.stdout, 300));
  return r.data;
}

/** The npm this instance installs with (`install.npm` for global installs, else `npm` on PATH). */
function npmArgv(install: InstallSpec): string[] {
  return install.type === 'global' ? install.npm : ['npm'];
}

async function npmView(instance: Instance, args: string[], ctx: CallContext): Promise<Captured> {
  const argv = [...npmArgv(instance.install), 'view', ...args];
  const r = await execute({ argv, env: instance.gateway.env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  if (r.cancelled) throw new TransientError(`npm view ${args.join(' ')} was cancelled.`);
  if (r.timedOut) throw new TransientError(`npm view ${args.join(' ')} did not answer within ${ctx.timeoutMs / 1000} s. Is the registry reachable from this host?`);
  if (r.exitCode === undefined) throw new ConfigurationError(`cannot run "${argv[0]}" on this host to ask the registry; fix install.npm of instance ${instance.id}.`);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** A release's declared schema versions, from the registry through the instance's npm. */
export async function registryRelease(instance: Instance, version: string, ctx: CallContext): Promise<ReleaseInfo> {
  if (!isReleaseVersion(version)) throw new ConfigurationError(`"${version}" is not a release version (e.g. 2026.9.6); a dist-tag cannot be compared.`);
  const out = await npmView(instance, [`openclaw@${version}`, 'openclaw.schemaVersions', '--json'], ctx);
  return { version, schemaVersions: parseNpmViewSchemaVersions(out, version) };
}

/** Both releases' schema versions and the published list, from the registry: what `plan` shows. */
export async function planReleaseJump(instance: Instance, fromVersion: string, toVersion: string, ctx: CallContext): Promise<ReleaseJump> {
  const [from, to, published] = await Promise.all([
    registryRelease(instance, fromVersion, ctx),
    registryRelease(instance, toVersion, ctx),
    npmView(instance, ['openclaw', 'versions', '--json'], ctx).then(parseNpmViewVersions),
  ]);
  return releaseJump(from, to, published);
}

// ---------------------------------------------------------------------------------------------------
// doctor --fix

export interface DoctorFixResult {
  /** Migrations and errors doctor reported before the fix that it no longer reports (doctor's words). */
  fixed: string[];
  /** Errors that remain after the fix (empty, or the step fails). */
  errors: string[];
  /** Warnings doctor still reports after the fix (recorded, not failing). */
  warnings: string[];
  /** What the read-only doctor asked for before the fix (migrations), as it said it. */
  requiredBefore: string[];
  /** Doctor said before the fix that a state database schema migration was pending (stderr; 2026.9.5 → 2026.9.6 says only this). */
  migrationPendingBefore: boolean;
  /** What `doctor --fix` printed as its changes (the "Doctor changes" notes), when it printed any. */
  changes: string[];
  /** The fix command, as an operator would run it by hand. */
  command: string;
  durationMs: number;
}

const ROLLBACK_HINT =
  'The gateway is stopped and the new release is installed. Restore the backup taken before the update ' +
  '(`decide rollback`: reinstalls the release that ran and restores its state), or fix the state by hand and `decide retry`.';

/**
 * The installed release's `openclaw doctor --fix --non-interactive` on the stopped gateway's state: the
 * migrations doctor asks for after an install (the documented manual update: stop, install, doctor --fix,
 * start). `--fix` cannot be combined with `--json` (doctor refuses: "doctor --json runs read-only lint
 * checks and cannot be combined with --repair, --fix, or --force"), so the read-only `doctor --json
 * --non-interactive` runs before and after it and decides: errors that remain fail the step with
 * doctor's own words (CheckFailedError); a doctor that cannot run at all fails with what to do.
 *
 * Refuses (CheckFailedError, nothing run) while the gateway still answers /readyz: the fix takes the
 * state's databases, which a running gateway holds. Safe to run again: a second fix finds nothing to do.
 */
export async function runDoctorFix(instance: Instance, ctx: CallContext): Promise<DoctorFixResult> {
  const access = instance.gateway;
  const started = Date.now();
  const httpUrl = await gatewayHttpUrl(access, ctx);
  if (await answersHttp(httpUrl, ctx.signal)) {
    throw new CheckFailedError(
      `refusing to run \`openclaw doctor --fix\` on instance ${instance.id}: the gateway still answers ${httpUrl}/readyz. ` +
        `Nothing was changed. Stop it first (\`${describeStop(instance)}\`): the fix migrates the databases the gateway holds.`,
    );
  }
  const before = await readOnlyDoctor(instance, ctx, 'before the fix');
  if (before.stateTooNew) {
    throw new CheckFailedError(
      `the installed release refuses the state of instance ${instance.id} (a database schema newer than it supports), so \`openclaw doctor --fix\` cannot migrate it. Doctor said:\n` +
        `${before.errors.map((e) => `  - ${quote(e, 800)}`).join('\n')}\n${ROLLBACK_HINT}`,
    );
  }
  ctx.heartbeat?.({ step: 'doctor-fix', migrations: before.migrations.length });
  const r = await runCli(access, { args: ['doctor', '--fix', '--non-interactive'], ...ctx });
  const fix = parse.parseDoctorFix(r);
  if (r.exitCode !== 0) {
    const said = fix.problems.length ? fix.problems.map((p) => `  - ${p}`).join('\n') : quote(r.stderr || r.stdout || '(nothing)', 1500);
    const failure =
      `\`${r.byHand}\` exited with code ${r.exitCode}${r.exitCode === 78 ? ' (78: the release refuses this state or its configuration)' : ''}; expected 0 with the migrations applied. It said:\n${said}\n`;
    // Another process still holds the state (a gateway that is still stopping): worth another try.
    if (fix.problems.some((p) => /StateDatabaseCoordinatorContentionError|another OpenClaw process owns/.test(p))) {
      throw new TransientError(`${failure}Something still holds the state: stop the gateway (\`${describeStop(instance)}\`) and any other openclaw process using ${access.stateDir ?? 'its state dir'}.`);
    }
    throw new CheckFailedError(failure + ROLLBACK_HINT);
  }
  const after = await readOnlyDoctor(instance, ctx, 'after the fix');
  const stillThere = new Set([...after.errors, ...after.migrations]);
  const fixed = [...before.migrations, ...before.errors].filter((f) => !stillThere.has(f));
  const errors = [...after.errors, ...after.blockingMigrations];
  if (errors.length > 0) {
    throw new CheckFailedError(
      `after \`${r.byHand}\` doctor still reports ${errors.length} error${errors.length > 1 ? 's' : ''}:\n${errors.map((e) => `  - ${quote(e, 800)}`).join('\n')}\n` +
        (fix.problems.length ? `The fix said:\n${fix.problems.map((p) => `  - ${p}`).join('\n')}\n` : '') +
        ROLLBACK_HINT,
    );
  }
  return {
    fixed,
    errors: [],
    warnings: [...after.warnings, ...after.migrations],
    requiredBefore: before.migrations,
    migrationPendingBefore: before.migrationPending,
    changes: fix.changes.length > MAX_CHANGES ? [...fix.changes.slice(0, MAX_CHANGES), `… and ${fix.changes.length - MAX_CHANGES} more (run it by hand to see them)`] : fix.changes,
    command: r.byHand,
    durationMs: Date.now() - started,
  };
}

const MAX_CHANGES = 40;

/** `doctor --json --non-interactive` for runDoctorFix: a doctor that cannot run says what to do. */
async function readOnlyDoctor(instance: Instance, ctx: CallContext, when: string): Promise<parse.DoctorReport> {
  const r = await runCli(instance.gateway, { args: ['doctor', '--json', '--non-interactive'], ...ctx });
  try {
    return parse.parseDoctor(r);
  } catch (err) {
    if (err instanceof UnexpectedOutputError) {
      throw new CheckFailedError(
        `\`${r.byHand}\` (${when}) could not run: exit code ${r.exitCode}${r.exitCode === 78 ? ' (78: the release refuses this state or its configuration)' : ''}, and no doctor report.\n` +
          `It said:\n${quote(r.stderr || r.stdout || '(nothing)', 1500)}\n${ROLLBACK_HINT}`,
      );
    }
    throw err;
  }
}

const describeStop = (instance: Instance) => {
  try {
    return serviceCommand(instance, 'stop').join(' ');
  } catch {
    return 'stop the gateway';
  }
};
