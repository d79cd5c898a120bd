/**
 * Restoring a verified backup after a failed update, with the gateway stopped: the archive is checked
 * against its recorded sha256 (refusing with nothing moved), extracted by `openclaw backup restore`
 * into a fresh dir, and the migrated state dir (and config file) moved aside, kept, with the restored
 * ones renamed into place. A journal (restore-journal.ts) makes a retry finish the same job.
 */
import { lstat, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckFailedError, ConfigurationError, RolloutError, TransientError } from '../../../shared/errors.js';
import type { GatewayAccess, Instance } from '../../../shared/inventory.js';
import type { BackupRecord } from '../../../shared/facts.js';
import { quote } from '../../host/redact.js';
import type { CallContext } from '../../call-context.js';
import { describeFailure, runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import { answersHttp, describeStop, gatewayHttpUrl } from '../service.js';
import { DEFAULT_DIR_SUFFIX, backupOperation, exists, isoStamp, sha256File } from './archive.js';
import { stopLeftovers } from '../../host/leftovers.js';
import { readJournal, restoreWorkDir, writeJournal, type RestoreJournal, type RestoreMove } from './restore-journal.js';

export interface RestoreResult {
  /** Where the state dir that was in place (migrated by the newer release) now is; kept, never deleted. */
  movedAsideTo: string;
  /** The archive restored. */
  restoredFrom: string;
  /** Where the config file that was in place now is, when the archive held the config outside the state dir. */
  configMovedAsideTo?: string;
  /** Assets of the archive left in the extraction (workspaces, agent dirs or credentials outside the state dir). */
  notActivated?: string[];
  /** An earlier attempt had finished the restore; nothing was done. */
  alreadyRestored?: boolean;
  durationMs?: number;
}

const UNTOUCHED = 'Nothing was moved: the state in place (migrated by the newer release) is untouched.';

/**
 * Checks, before anything is stopped, that the archive of `backup` is there with the sha256 recorded
 * when it was made. A missing or changed archive is a ConfigurationError (not retryable) that names the
 * path and says that nothing was stopped or moved.
 */
export async function checkBackupArchive(
  instance: Instance,
  backup: BackupRecord,
): Promise<{ path: string; sha256: string; bytes: number }> {
  return checkArchive(
    instance,
    backup,
    'Nothing was stopped or moved: the gateway and its state (the migrated one) are untouched.',
  );
}

async function checkArchive(
  instance: Instance,
  backup: BackupRecord,
  untouched: string,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const st = await stat(backup.path).catch(() => undefined);
  if (!st?.isFile()) {
    throw new ConfigurationError(
      `cannot restore instance ${instance.id}: the backup archive ${backup.path} (made by ${backup.version} at ${backup.createdAt}) does not exist. ${untouched} ` +
        'Find the archive (or another verified one) and restore it by hand, or reinstall the new release.',
    );
  }
  const { sha256, bytes } = await sha256File(backup.path);
  if (sha256 !== backup.sha256) {
    throw new ConfigurationError(
      `cannot restore instance ${instance.id}: the backup archive ${backup.path} has sha256 ${sha256}, not ${backup.sha256} as recorded when it was made: it changed or was replaced. ${untouched} ` +
        `Check it with \`openclaw backup verify ${backup.path}\` before trusting it.`,
    );
  }
  return { path: backup.path, sha256, bytes };
}

/**
 * Restores `backup` over the instance's state (the gateway must be stopped): checks the archive and its
 * sha256 (refusing with nothing moved), extracts it with `openclaw backup restore --target <fresh dir>`
 * (the CLI verifies it and never writes in place), then moves the current state dir and config file
 * aside to timestamped siblings (kept) and the restored ones into place with renames.
 *
 * Idempotent: a journal in `<backup dir>/.restore-<archive>/` records the extraction and each move's
 * paths before the move, and the restored copies are recognised by inode once they are in place, so a
 * retry after a crash at any point finishes the job without moving anything twice.
 */
export async function restoreBackup(
  instance: Instance,
  backup: BackupRecord,
  ctx: CallContext,
): Promise<RestoreResult> {
  const started = Date.now();
  const work = restoreWorkDir(backup.path);
  const journalPath = join(work, 'journal.json');
  let journal = await readJournal(journalPath);
  if (journal?.done) return restoreResult(journal, backup, started, true);

  // The archive must be the one recorded. Once moves started (a retry), the archive was checked already.
  if (!journal?.moves.length) await checkArchive(instance, backup, UNTOUCHED);
  // The gateway must be stopped: its state is about to be moved.
  const httpUrl = await gatewayHttpUrl(instance.gateway, ctx);
  if (await answersHttp(httpUrl, ctx.signal)) {
    throw new CheckFailedError(
      `cannot restore instance ${instance.id}: the gateway still answers ${httpUrl}/readyz. ${UNTOUCHED} Stop it first (\`${describeStop(instance)}\`).`,
    );
  }
  await mkdir(work, { recursive: true, mode: 0o700 });
  if (!journal?.extracted) {
    journal = await extractAndPlan(instance, backup, join(work, 'extracted'), ctx);
    await writeJournal(journalPath, journal);
  }
  await applyMoves(journal, instance.id, { work, journalPath, signal: ctx.signal });
  journal.done = true;
  await writeJournal(journalPath, journal);
  return restoreResult(journal, backup, started, false);
}

/** Extracts the archive into `extracted` (through the CLI, which verifies it) and plans the moves from its manifest. */
async function extractAndPlan(
  instance: Instance,
  backup: BackupRecord,
  extracted: string,
  ctx: CallContext,
): Promise<RestoreJournal> {
  // A restore a dead worker left running would go on writing into the extraction: stop it first.
  await stopLeftovers(backupOperation(instance));
  await rm(extracted, { recursive: true, force: true }); // our own incomplete extraction, if any
  const r = await runCli(instance.gateway, {
    args: ['backup', 'restore', backup.path, '--target', extracted, '--json'],
    exclusive: backupOperation(instance),
    ...ctx,
  });
  let restored: parse.BackupRestoreResult;
  try {
    restored = parse.parseBackupRestore(r);
  } catch (err) {
    if (err instanceof RolloutError) err.message += `\n${UNTOUCHED}`;
    throw err;
  }
  if (r.exitCode !== 0)
    throw new TransientError(
      describeFailure(r, `exit 0 with the archive restored into ${extracted}`) + `\n${UNTOUCHED}`,
    );
  const manifest = parse.parseBackupManifest(
    await readFile(join(extracted, restored.archiveRoot, 'manifest.json'), 'utf8'),
  );
  const { moves, notActivated } = await planMoves(manifest, { instance, backup, extracted });
  if (!moves.some((m) => m.kind === 'state')) {
    throw new TransientError(
      `the archive ${backup.path} holds no state asset (its manifest lists ${manifest.assets.map((a) => a.kind).join(', ') || 'nothing'}). ${UNTOUCHED}`,
    );
  }
  return { archive: backup.path, sha256: backup.sha256, extracted: true, moves, notActivated, done: false };
}

/** Which restored assets go where: the state dir and the config file (when the gateway still looks there); the rest stays in the extraction. */
async function planMoves(
  manifest: parse.BackupManifest,
  where: { instance: Instance; backup: BackupRecord; extracted: string },
): Promise<{ moves: RestoreMove[]; notActivated: string[] }> {
  const access: GatewayAccess = where.instance.gateway;
  const moves: RestoreMove[] = [];
  const notActivated: string[] = [];
  const stamp = isoStamp();
  for (const asset of manifest.assets) {
    if (asset.kind !== 'state' && asset.kind !== 'config') {
      notActivated.push(`${asset.kind} ${asset.sourcePath}`);
      continue;
    }
    // The archive says where each asset came from; the gateway must still be looking there.
    if (asset.kind === 'state' && access.stateDir && resolve(access.stateDir) !== asset.sourcePath) {
      throw new ConfigurationError(
        `cannot restore instance ${where.instance.id}: the archive ${where.backup.path} holds the state dir ${asset.sourcePath}, but the inventory's gateway.stateDir is ${resolve(access.stateDir)}. ${UNTOUCHED} ` +
          `Restore it by hand (\`openclaw backup restore ${where.backup.path} --target <fresh dir>\`) to the right place.`,
      );
    }
    if (asset.kind === 'config' && access.configPath && resolve(access.configPath) !== asset.sourcePath) {
      notActivated.push(
        `config ${asset.sourcePath} (the inventory's gateway.configPath is ${resolve(access.configPath)})`,
      );
      continue;
    }
    const restoredPath = join(where.extracted, asset.archivePath);
    const ino = (await lstat(restoredPath)).ino;
    moves.push({
      kind: asset.kind,
      livePath: asset.sourcePath,
      restoredPath,
      restoredIno: ino,
      asidePath: `${asset.sourcePath}.pre-restore-${stamp}`,
    });
  }
  return { moves, notActivated };
}

/** Moves each live asset aside and its restored copy into place; a move already done (by inode) is skipped. */
async function applyMoves(
  journal: RestoreJournal,
  instanceId: string,
  at: { work: string; journalPath: string; signal?: AbortSignal },
): Promise<void> {
  for (const m of journal.moves) {
    at.signal?.throwIfAborted();
    const live = await lstat(m.livePath).catch(() => undefined);
    if (live?.ino === m.restoredIno) continue; // already in place
    const restoredThere = await exists(m.restoredPath);
    if (!restoredThere) {
      throw new TransientError(
        `restore of instance ${instanceId} cannot continue: the restored ${m.kind} ${m.restoredPath} is gone and ${m.livePath} is not it. ` +
          `The state from before the restore is at ${m.asidePath} if it was moved. Look at ${at.work}/journal.json and finish by hand.`,
      );
    }
    if (live) {
      if (await exists(m.asidePath)) {
        throw new TransientError(
          `restore of instance ${instanceId}: both ${m.livePath} and ${m.asidePath} exist and neither is the restored copy; refusing to overwrite. Finish by hand (journal: ${at.journalPath}).`,
        );
      }
      await moveInPlace(m.livePath, m.asidePath, instanceId);
    }
    await moveInPlace(m.restoredPath, m.livePath, instanceId);
  }
}

function restoreResult(
  j: RestoreJournal,
  backup: BackupRecord,
  started: number,
  alreadyRestored: boolean,
): RestoreResult {
  const state = j.moves.find((m) => m.kind === 'state')!;
  const config = j.moves.find((m) => m.kind === 'config');
  return {
    movedAsideTo: state.asidePath,
    restoredFrom: backup.path,
    ...(config ? { configMovedAsideTo: config.asidePath } : {}),
    notActivated: j.notActivated ?? [],
    ...(alreadyRestored ? { alreadyRestored } : {}),
    durationMs: Date.now() - started,
  };
}

async function moveInPlace(from: string, to: string, instanceId: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EXDEV') {
      throw new ConfigurationError(
        `cannot move ${from} to ${to}: they are on different filesystems. Put backup.dir of instance ${instanceId} on the state dir's filesystem (the default, <stateDir>${DEFAULT_DIR_SUFFIX}, is).`,
      );
    }
    throw new TransientError(`cannot move ${from} to ${to}: ${quote(e.message, 300)}`);
  }
}
