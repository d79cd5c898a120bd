/**
 * Taking a backup before an update: `openclaw backup create --output <file> --verify --json` with the
 * release that runs, checked (exit code, file, JSON), with its sha256; then this tool's older archives of
 * the instance beyond `backup.keep` are pruned.
 */
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { compareReleases } from '../upgrade/release-order.js';
import { ConfigurationError, TransientError } from '../../../shared/errors.js';
import type { Instance } from '../../../shared/inventory.js';
import type { BackupRecord } from '../../../shared/facts.js';
import type { CallContext } from '../../call-context.js';
import { describeFailure, runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import {
  DEFAULT_DIR_SUFFIX,
  DEFAULT_KEEP,
  archiveName,
  archivePattern,
  archiveVersion,
  backupOperation,
  sha256File,
  hasLocalState,
  resolveStateDir,
  backupDirFor,
  inside,
} from './archive.js';
import { restoreWorkDir, readJournal } from './restore-journal.js';

// Backup

/**
 * `openclaw backup create --output <dir>/<name> --verify --json` with the instance's CLI (the release
 * that runs): checks the exit code, the file, the JSON and the archive's manifest, computes the
 * sha256, then deletes this tool's older archives of the instance beyond `backup.keep`.
 */
export async function createBackup(
  instance: Instance,
  runningVersion: string,
  ctx: CallContext,
): Promise<BackupRecord | { skipped: string }> {
  const access = instance.gateway;
  if (!hasLocalState(access)) {
    return {
      skipped:
        `instance ${instance.id} is reached by url only (no gateway.stateDir, configPath or profile), so this host cannot back up its state: ` +
        'a rollback of it cannot restore the state from before the update (only reinstall the old release, which refuses a migrated state). ' +
        'Set gateway.stateDir and gateway.configPath and run its worker on the gateway host (instances[i].host) to get backups.',
    };
  }
  const stateDir = await resolveStateDir(access, ctx);
  const dir = backupDirFor(instance, stateDir);
  if (inside(dir, stateDir)) {
    throw new ConfigurationError(
      `backup.dir ${dir} of instance ${instance.id} is inside its state dir ${stateDir}: each backup would contain the older ones. Put it next to the state dir (the default is ${stateDir}${DEFAULT_DIR_SUFFIX}).`,
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const createdAt = new Date();
  const path = join(dir, archiveName(instance.id, runningVersion, createdAt.toISOString().replace(/[:.]/g, '-')));
  const r = await runCli(access, {
    args: ['backup', 'create', '--output', path, '--verify', '--json'],
    exclusive: backupOperation(instance),
    ...ctx,
  });
  // The JSON decides first (a refusal is an error envelope with exit 1), then the exit code. The CLI
  // removes its own partial file on failure and never overwrites an archive, so nothing is deleted here.
  const result = parse.parseBackupCreate(r);
  if (r.exitCode !== 0) throw new TransientError(describeFailure(r, `exit 0 with a verified archive at ${path}`));
  if (!result.stateDir) {
    throw new TransientError(
      `\`${r.byHand}\` made an archive without the state dir (assets: ${result.assets.map((a) => a.kind).join(', ') || 'none'}); a rollback could not restore from it. Keep ${path} and look at it by hand.`,
    );
  }
  const written = result.archivePath ? resolve(result.archivePath) : path;
  if (written !== path) {
    throw new TransientError(
      `\`${r.byHand}\` wrote ${written}, not ${path} as asked; keep it and look at it by hand. Run it by hand:\n  ${r.byHand}`,
    );
  }
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size === 0) {
    throw new TransientError(
      `\`${r.byHand}\` exited 0 but ${st ? 'wrote an empty file' : 'wrote no file'} at ${path} (an older release once did this). ` +
        `Expected a verified archive. Run it by hand and check with \`openclaw backup verify <archive>\`:\n  ${r.byHand}`,
    );
  }
  if (!result.verified) {
    throw new TransientError(
      `\`${r.byHand}\` exited 0 but its JSON does not say the archive was verified; check it with \`openclaw backup verify ${path}\`.`,
    );
  }
  const { sha256, bytes } = await sha256File(path);
  const pruned = await pruneBackups(dir, instance.id, instance.backup?.keep ?? DEFAULT_KEEP, path, runningVersion);
  return {
    path,
    sha256,
    bytes,
    createdAt: createdAt.toISOString(),
    version: runningVersion,
    stateDir: result.stateDir ?? stateDir,
    ...(result.configPath && !inside(result.configPath, result.stateDir ?? stateDir)
      ? { configPath: result.configPath }
      : {}),
    pruned,
    durationMs: r.durationMs,
  };
}

/**
 * Deletes this tool's archives of `instanceId` in `dir` beyond the newest `keep` (never `current`, never
 * other files). The newest archive taken with a release older than `running` is never deleted and not
 * counted: while the instance runs a newer release (a rejected or half-finished update, reruns), it is
 * the only way back to the release before.
 */
export async function pruneBackups(
  dir: string,
  instanceId: string,
  keep: number,
  current: string,
  running?: string,
): Promise<string[]> {
  const pattern = archivePattern(instanceId);
  const names = (await readdir(dir)).filter((n) => pattern.test(n));
  const dated = await Promise.all(
    names.map(async (n) => ({ path: join(dir, n), mtimeMs: (await stat(join(dir, n))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtimeMs - a.mtimeMs || b.path.localeCompare(a.path));
  const older = (path: string) =>
    running !== undefined && compareReleases(archiveVersion(instanceId, basename(path)) ?? '', running) < 0;
  const wayBack = dated.find((f) => f.path !== current && older(f.path))?.path;
  const doomed = dated.filter((f) => f.path !== current && f.path !== wayBack).slice(Math.max(0, keep - 1));
  for (const f of doomed) {
    await unlink(f.path).catch(() => undefined);
    // The finished restore of a pruned archive left only its journal and an emptied extraction; an
    // unfinished one may still hold restored files and is kept.
    const work = restoreWorkDir(f.path);
    if ((await readJournal(join(work, 'journal.json')).catch(() => undefined))?.done)
      await rm(work, { recursive: true, force: true });
  }
  return doomed.map((f) => f.path);
}
