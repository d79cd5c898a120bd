/**
 * The `staged` install type: each release is an npm prefix of its own, `<root>/versions/<version>`, and
 * the service runs from `<root>/current`, a symlink. Staging (the slow part: npm's download and
 * install, then a check that the staged CLI answers with the version) runs while the old gateway still
 * serves, because nothing running reads a directory that `current` does not point to; after the drain,
 * switching is one rename(2) of a symlink, atomic and well under a second.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckFailedError, ConfigurationError } from '../../shared/errors.js';
import type { GatewayAccess } from '../../shared/inventory.js';
import { execute, runHostCommand } from '../host/exec.js';
import { outputTail } from '../host/npm-errors.js';
import type { CallContext } from '../call-context.js';
import { cliEnvironment } from './cli.js';
import { parseCliVersion } from './parse/index.js';

export interface StagedInstall {
  root: string;
  npm: string[];
}

/** Written last into a staged release: a directory without it is a staging that did not finish. */
export const STAGED_MARKER = '.openclaw-rollout-staged.json';

export const stagedPaths = (root: string) => ({
  versions: join(root, 'versions'),
  current: join(root, 'current'),
  release: (version: string) => join(root, 'versions', version),
});

const packageJson = (prefix: string) => join(prefix, 'lib', 'node_modules', 'openclaw', 'package.json');

/** The openclaw version an npm prefix holds, or null when it holds none. */
export async function prefixVersion(prefix: string): Promise<string | null> {
  const text = await readFile(packageJson(prefix), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
  if (text === null) return null;
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : null;
}

/** Whether `version` is staged completely (its marker written after the check). */
export async function isStaged(root: string, version: string): Promise<boolean> {
  const dir = stagedPaths(root).release(version);
  const marker = await readFile(join(dir, STAGED_MARKER), 'utf8').catch(() => null);
  return marker !== null && (await prefixVersion(dir)) === version;
}

/** The version `current` points to (null when there is no `current` yet). */
export async function currentRelease(root: string): Promise<string | null> {
  const link = await readlink(stagedPaths(root).current).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    if (e.code === 'EINVAL')
      throw new ConfigurationError(
        `${stagedPaths(root).current} is not a symlink: install.root must hold versions/<version> and a symlink current (see docs/updates.md, staged installs).`,
      );
    throw e;
  });
  return link === null ? null : link.replace(/\/+$/, '').split('/').at(-1)!;
}

export interface StageOutcome {
  version: string;
  path: string;
  /** It was staged before (a retry, a crash, an earlier rollout): nothing ran. */
  alreadyStaged: boolean;
  durationMs: number;
}

/**
 * Stages `version` into `<root>/versions/<version>`: npm installs it into a temporary sibling, the
 * staged CLI must answer `--version` with it, then the directory is renamed into place and marked.
 * `current` and the running gateway are not touched; staging twice is harmless.
 */
export async function stageRelease(
  access: GatewayAccess,
  install: StagedInstall,
  version: string,
  ctx: CallContext,
): Promise<StageOutcome> {
  const started = Date.now();
  const paths = stagedPaths(install.root);
  const dir = paths.release(version);
  if (await isStaged(install.root, version))
    return { version, path: dir, alreadyStaged: true, durationMs: Date.now() - started };
  await mkdir(paths.versions, { recursive: true });
  await removeLeftovers(paths.versions, version);
  const tmp = join(paths.versions, `.${version}.staging-${randomBytes(4).toString('hex')}`);
  try {
    await runHostCommand({
      what: 'staging install',
      argv: [...install.npm, 'install', '-g', '--prefix', tmp, '--no-audit', '--no-fund', `openclaw@${version}`],
      env: access.env,
      expected: `it to stage openclaw ${version} into ${tmp}`,
      installs: { pkg: 'openclaw', version },
      field: 'install.npm',
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    await checkStagedCli(access, install.root, tmp, version, ctx);
    await writeFile(join(tmp, STAGED_MARKER), JSON.stringify({ version, stagedAt: new Date().toISOString() }) + '\n');
    await rm(dir, { recursive: true, force: true }); // an unmarked one: a staging that did not finish
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { version, path: dir, alreadyStaged: false, durationMs: Date.now() - started };
}

/**
 * Temporary directories of earlier stagings of `version` that were cut off (a crash, a cancel). Best
 * effort: after a worker was killed its npm may still run and write into its directory (npm runs in a
 * process group of its own), so removing it can race; this staging uses a directory of its own anyway.
 */
async function removeLeftovers(versionsDir: string, version: string): Promise<void> {
  for (const name of await readdir(versionsDir)) {
    if (name.startsWith(`.${version}.staging-`))
      await rm(join(versionsDir, name), { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/**
 * The CLI of a staged release in `prefix`: the instance's gateway.cli with `<root>/current` replaced by
 * the staged directory (so it runs under the same node), else the prefix's bin/openclaw.
 */
export function stagedCliArgv(access: GatewayAccess, root: string, prefix: string): string[] {
  const current = stagedPaths(root).current;
  const fromCurrent = access.cli.some((a) => a.startsWith(`${current}/`));
  return fromCurrent
    ? access.cli.map((a) => (a.startsWith(`${current}/`) ? prefix + a.slice(current.length) : a))
    : [join(prefix, 'bin', 'openclaw')];
}

/** The staged CLI must run and say it is `version` (stagedCliArgv). */
async function checkStagedCli(
  access: GatewayAccess,
  root: string,
  prefix: string,
  version: string,
  ctx: CallContext,
): Promise<void> {
  const argv = stagedCliArgv(access, root, prefix);
  const r = await execute({
    argv: [...argv, '--version'],
    env: cliEnvironment(access).env,
    timeoutMs: Math.min(ctx.timeoutMs, 60_000),
    signal: ctx.signal,
  });
  const said = r.exitCode === 0 ? safeVersion(r.stdout) : null;
  if (said !== version) {
    throw new CheckFailedError(
      `the staged release does not run: \`${[...argv, '--version'].join(' ')}\` ` +
        (r.exitCode === 0 ? `said ${said ?? 'no version'}` : `exited with ${r.exitCode ?? r.message}`) +
        `, expected ${version}. Its output:\n${outputTail(r.stderr, r.stdout)}\nNothing was switched; the gateway still runs its release.`,
    );
  }
}

const safeVersion = (stdout: string) => {
  try {
    return parseCliVersion({ stdout, stderr: '', exitCode: 0 });
  } catch {
    return null;
  }
};

export interface SwitchOutcome {
  from: string | null;
  to: string;
  /** false when `current` already pointed to it. */
  switched: boolean;
}

/**
 * Points `<root>/current` at the staged `version` in one rename(2) (a new symlink renamed over the old
 * one: never a moment without `current`). The release must be staged; the running process keeps the
 * files it loaded, so the switch takes effect at the next start.
 */
export async function switchRelease(root: string, version: string): Promise<SwitchOutcome> {
  const paths = stagedPaths(root);
  if (!(await isStaged(root, version)))
    throw new CheckFailedError(
      `openclaw ${version} is not staged in ${paths.release(version)}: stage it first (the rollout stages before it drains).`,
    );
  const from = await currentRelease(root);
  if (from === version) return { from, to: version, switched: false };
  const existing = await lstat(paths.current).catch(() => null);
  if (existing && !existing.isSymbolicLink())
    throw new ConfigurationError(
      `${paths.current} is not a symlink: move it away, then point it at versions/<version>.`,
    );
  const tmp = `${paths.current}.switch-${randomBytes(4).toString('hex')}`;
  await symlink(join('versions', version), tmp);
  await rename(tmp, paths.current);
  return { from, to: version, switched: true };
}
