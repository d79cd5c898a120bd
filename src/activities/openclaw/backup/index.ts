/**
 * The host side of "rollback from a verified backup": take a verified `openclaw backup create` archive
 * before an update (with the release that runs), stop and start the gateway through its supervisor,
 * restore the archive after a failed update (the migrated state is moved aside and kept, never
 * deleted), and check the restored databases with the old release's `openclaw database preflight`.
 * Plain async functions like openclaw.ts; the Temporal wrappers are in backup-activities.ts.
 *
 * Every step is safe to run again after a crash: a backup is a new file (older ones are pruned by
 * name), stop and start check the gateway first, and a restore keeps a small journal next to its
 * extraction so that a retry finishes the moves it started instead of losing or repeating one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { CheckFailedError, ConfigurationError, RolloutError, TransientError } from '../../../shared/errors.js';
import { deriveServiceCommand } from '../../../shared/service-commands.js';
import type { GatewayAccess, Instance } from '../../../shared/inventory.js';
import { quote } from '../../host/redact.js';
import { describeFailure, runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import { gatewayStatus } from '../gateway.js';
import { pause, type CallContext } from '../../call-context.js';
import { runHostCommand } from '../../host/exec.js';
import type { BackupRecord } from '../../../shared/facts.js';

export type { BackupRecord };

export interface StopResult {
  command: string;
  durationMs: number;
  /** Nothing answered before the stop command ran. */
  alreadyStopped?: boolean;
}
export interface StartResult {
  command: string;
  /** The version `gateway status` reports after the start. */
  version: string;
  /** From the start command to healthy (absent when it was already running). */
  downMs?: number;
  alreadyRunning?: boolean;
}
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
export interface RestoredDatabases {
  databases: { path: string; status: string; detail?: string }[];
  allExact: boolean;
}

/** How many archives of an instance are kept when the inventory does not say. */
export const DEFAULT_KEEP = 3;
/** Suffix of the default backup dir, a sibling of the state dir: `<stateDir>.rollout-backups`. */
export const DEFAULT_DIR_SUFFIX = '.rollout-backups';

const ISO_STAMP = () => new Date().toISOString().replace(/[:.]/g, '-');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The archive name this tool writes, `openclaw-rollout-<instance>@<version>-<UTC stamp>.tar.gz` ('@'
 * cannot occur in an instance id, so gw-1's names never match gw-1-b's). Pruning only ever touches
 * names that match `archivePattern`.
 */
export function archiveName(instanceId: string, version: string, stamp = ISO_STAMP()): string {
  return `openclaw-rollout-${instanceId}@${version.replace(/[^0-9A-Za-z.+-]/g, '_')}-${stamp}.tar.gz`;
}
export function archivePattern(instanceId: string): RegExp {
  const id = instanceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^openclaw-rollout-${id}@[0-9A-Za-z.+_-]+-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z\\.tar\\.gz$`);
}

/** Hex sha256 and size of a file (streamed). */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

// ---------------------------------------------------------------------------------------------------
// Where things are

/** Whether the instance has local state this host can back up (not a gateway reached by url only). */
export function hasLocalState(access: GatewayAccess): boolean {
  return !!(access.stateDir || access.profile || access.configPath);
}

/**
 * The state dir of the instance: the inventory's `stateDir`, else what the CLI plans to back up
 * (`openclaw backup create --dry-run --json`, which resolves profiles and defaults).
 */
export async function resolveStateDir(access: GatewayAccess, ctx: CallContext): Promise<string> {
  if (access.stateDir) return resolve(access.stateDir);
  const r = await runCli(access, { args: ['backup', 'create', '--dry-run', '--json'], ...ctx });
  if (r.exitCode !== 0) throw new TransientError(describeFailure(r, 'exit 0 with the backup plan (to find the state dir)'));
  const plan = parse.parseBackupCreate(r, { dryRun: true });
  if (!plan.stateDir) throw new ConfigurationError(`\`${r.byHand}\` names no state dir to back up; set gateway.stateDir in the inventory.`);
  return plan.stateDir;
}

/** The backup dir: the inventory's `backup.dir`, else `<stateDir>.rollout-backups` (a sibling, never inside it). */
export function backupDirFor(instance: Instance, stateDir: string): string {
  return instance.backup?.dir ? resolve(instance.backup.dir) : resolve(dirname(stateDir), basename(stateDir) + DEFAULT_DIR_SUFFIX);
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/**
 * The gateway's base http URL for /readyz: `gateway.httpUrl`, else derived from `gateway.url`
 * (ws → http), else the port of `gateway status --json` (which reads the config, also when down).
 */
export async function gatewayHttpUrl(access: GatewayAccess, ctx: CallContext): Promise<string> {
  if (access.httpUrl) return access.httpUrl.replace(/\/+$/, '');
  if (access.url) {
    const u = new URL(access.url);
    return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  }
  const r = await runCli(access, { args: ['gateway', 'status', '--json', '--timeout', '3000'], ...ctx, timeoutMs: Math.min(ctx.timeoutMs, 60_000) });
  const probe = parse.parseGatewayProbeUrl(r);
  if (!probe) throw new ConfigurationError(`cannot tell the gateway's http address from \`${r.byHand}\`; set gateway.httpUrl in the inventory (e.g. http://127.0.0.1:18789).`);
  return probe;
}

/** Whether anything answers HTTP at `<httpUrl>/readyz` (any status: a process is listening). */
export async function answersHttp(httpUrl: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const timeout = AbortSignal.timeout(3000);
    const res = await fetch(`${httpUrl}/readyz`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.body?.cancel();
    return true;
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Stop and start

/** The instance's stop or start command (src/shared/service-commands.ts), or a ConfigurationError naming the field. */
export function serviceCommand(instance: Instance, action: 'stop' | 'start'): string[] {
  const derived = deriveServiceCommand(instance, action);
  if (derived) return derived;
  const restart = instance.restart;
  throw new ConfigurationError(
    `instance "${instance.id}" has no ${action} command, and it cannot be derived from its restart command ` +
      `(${restart ? `\`${restart.join(' ')}\` is not \`supervisorctl restart <program>\` or \`systemctl restart <unit>\`` : 'none is set'}). ` +
      `Add instances[i].${action} to the inventory (the entry with id: ${instance.id}), e.g. ${action}: [supervisorctl, ${action}, ${instance.id}].`,
  );
}

/**
 * Stops the gateway (`instance.stop` or derived from `restart`) and waits until nothing answers its
 * /readyz any more. Idempotent: a gateway that is already down is fine (a supervisor that says "not
 * running" is not an error then).
 */
export async function stopGateway(instance: Instance, ctx: CallContext & { deadlineMs?: number }): Promise<StopResult> {
  const argv = serviceCommand(instance, 'stop');
  const command = argv.join(' ');
  const httpUrl = await gatewayHttpUrl(instance.gateway, ctx);
  const started = Date.now();
  const upBefore = await answersHttp(httpUrl, ctx.signal);
  try {
    await runHostCommand({ what: 'stop command', argv, env: instance.gateway.env, expected: '0 with the gateway stopped', field: `instances[i].stop (id: ${instance.id})`, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  } catch (err) {
    // `supervisorctl stop` of a stopped program exits non-zero ("not running"): down is what we want.
    if (!(err instanceof TransientError) || (await answersHttp(httpUrl, ctx.signal))) throw err;
    return { command, durationMs: Date.now() - started, alreadyStopped: !upBefore };
  }
  const deadline = Date.now() + (ctx.deadlineMs ?? ctx.timeoutMs);
  while (await answersHttp(httpUrl, ctx.signal)) {
    ctx.heartbeat?.({ step: 'stop', waitedMs: Date.now() - started });
    if (Date.now() > deadline) {
      throw new CheckFailedError(
        `after \`${command}\` the gateway still answers ${httpUrl}/readyz after ${seconds(Date.now() - started)}. ` +
          `Check what runs on that port (\`ss -ltnp\`) and stop it by hand:\n  ${command}`,
      );
    }
    await pause(500, ctx.signal);
  }
  return { command, durationMs: Date.now() - started, ...(upBefore ? {} : { alreadyStopped: true }) };
}

/**
 * Starts the stopped gateway (`instance.start` or derived) and waits until `gateway status` says it is
 * healthy on `expectVersion`. Idempotent: a gateway already healthy on that version is left alone.
 */
export async function startGateway(
  instance: Instance,
  expectVersion: string,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<StartResult> {
  const access = instance.gateway;
  const statusCtx = { ...ctx, timeoutMs: 60_000 };
  const now = await gatewayStatus(access, statusCtx).catch(() => undefined);
  const argv = serviceCommand(instance, 'start');
  const command = argv.join(' ');
  if (now?.healthy) {
    if (now.version === expectVersion) return { command, version: expectVersion, alreadyRunning: true };
    throw new CheckFailedError(
      `the gateway already runs ${now.version ?? 'an unknown version'}, not ${expectVersion}: it was not stopped (or something else started it). ` +
        `Stop it (\`${serviceCommand(instance, 'stop').join(' ')}\`), reinstall ${expectVersion}, then start it again.`,
    );
  }
  const started = Date.now();
  try {
    await runHostCommand({ what: 'start command', argv, env: access.env, expected: '0 with the gateway started', field: `instances[i].start (id: ${instance.id})`, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  } catch (err) {
    // `supervisorctl start` of a running program exits non-zero ("already started"); the wait decides.
    if (!(err instanceof TransientError)) throw err;
    const again = await gatewayStatus(access, statusCtx).catch(() => undefined);
    if (!again?.runtimeRunning) throw err;
  }
  const deadline = started + ctx.readyDeadlineMs;
  let last: parse.GatewayStatus | undefined;
  while (Date.now() < deadline) {
    ctx.signal?.throwIfAborted();
    ctx.heartbeat?.({ step: 'start', waitedMs: Date.now() - started });
    last = await gatewayStatus(access, statusCtx).catch(() => undefined);
    if (last?.healthy) break;
    await pause(2000, ctx.signal);
  }
  if (!last?.healthy) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway did not become healthy within ${seconds(ctx.readyDeadlineMs)} ` +
        `(last status: ${last ? `runtime ${last.runtimeRunning ? 'running' : 'not running'}, rpc ${last.rpcOk ? 'ok' : 'failed'}` : 'no answer'}). ` +
        'A release that refuses the state (a newer database schema) exits with code 78: check its log and `openclaw gateway status`, ' +
        'and `openclaw database preflight` on a copy of state/openclaw.sqlite.',
    );
  }
  if (last.version !== expectVersion) {
    throw new CheckFailedError(`after \`${command}\` the gateway runs ${last.version}, not ${expectVersion}: reinstall ${expectVersion} into its prefix, then stop and start it again.`);
  }
  return { command, version: last.version, downMs: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------------
// Backup

/**
 * `openclaw backup create --output <dir>/<name> --verify --json` with the instance's CLI (the release
 * that runs): checks the exit code, the file, the JSON and the archive's manifest, computes the
 * sha256, then deletes this tool's older archives of the instance beyond `backup.keep`.
 */
export async function createBackup(instance: Instance, runningVersion: string, ctx: CallContext): Promise<BackupRecord | { skipped: string }> {
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
    throw new ConfigurationError(`backup.dir ${dir} of instance ${instance.id} is inside its state dir ${stateDir}: each backup would contain the older ones. Put it next to the state dir (the default is ${stateDir}${DEFAULT_DIR_SUFFIX}).`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const createdAt = new Date();
  const path = join(dir, archiveName(instance.id, runningVersion, createdAt.toISOString().replace(/[:.]/g, '-')));
  const r = await runCli(access, { args: ['backup', 'create', '--output', path, '--verify', '--json'], ...ctx });
  // The JSON decides first (a refusal is an error envelope with exit 1), then the exit code. The CLI
  // removes its own partial file on failure and never overwrites an archive, so nothing is deleted here.
  const result = parse.parseBackupCreate(r);
  if (r.exitCode !== 0) throw new TransientError(describeFailure(r, `exit 0 with a verified archive at ${path}`));
  if (!result.stateDir) {
    throw new TransientError(`\`${r.byHand}\` made an archive without the state dir (assets: ${result.assets.map((a) => a.kind).join(', ') || 'none'}); a rollback could not restore from it. Keep ${path} and look at it by hand.`);
  }
  const written = result.archivePath ? resolve(result.archivePath) : path;
  if (written !== path) {
    throw new TransientError(`\`${r.byHand}\` wrote ${written}, not ${path} as asked; keep it and look at it by hand. Run it by hand:\n  ${r.byHand}`);
  }
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size === 0) {
    throw new TransientError(
      `\`${r.byHand}\` exited 0 but ${st ? 'wrote an empty file' : 'wrote no file'} at ${path} (an older release once did this). ` +
        `Expected a verified archive. Run it by hand and check with \`openclaw backup verify <archive>\`:\n  ${r.byHand}`,
    );
  }
  if (!result.verified) {
    throw new TransientError(`\`${r.byHand}\` exited 0 but its JSON does not say the archive was verified; check it with \`openclaw backup verify ${path}\`.`);
  }
  const { sha256, bytes } = await sha256File(path);
  const pruned = await pruneBackups(dir, instance.id, instance.backup?.keep ?? DEFAULT_KEEP, path);
  return {
    path,
    sha256,
    bytes,
    createdAt: createdAt.toISOString(),
    version: runningVersion,
    stateDir: result.stateDir ?? stateDir,
    ...(result.configPath && !inside(result.configPath, result.stateDir ?? stateDir) ? { configPath: result.configPath } : {}),
    pruned,
    durationMs: r.durationMs,
  };
}

/** Deletes this tool's archives of `instanceId` in `dir` beyond the newest `keep` (never `current`, never other files). */
export async function pruneBackups(dir: string, instanceId: string, keep: number, current: string): Promise<string[]> {
  const pattern = archivePattern(instanceId);
  const names = (await readdir(dir)).filter((n) => pattern.test(n));
  const dated = await Promise.all(names.map(async (n) => ({ path: join(dir, n), mtimeMs: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => b.mtimeMs - a.mtimeMs || b.path.localeCompare(a.path));
  const doomed = dated.filter((f) => f.path !== current).slice(Math.max(0, keep - 1));
  for (const f of doomed) {
    await unlink(f.path).catch(() => undefined);
    // The finished restore of a pruned archive left only its journal and an emptied extraction; an
    // unfinished one may still hold restored files and is kept.
    const work = restoreWorkDir(f.path);
    if ((await readJournal(join(work, 'journal.json')).catch(() => undefined))?.done) await rm(work, { recursive: true, force: true });
  }
  return doomed.map((f) => f.path);
}

// ---------------------------------------------------------------------------------------------------
// Restore

/**
 * Checks, before anything is stopped, that the archive of `backup` is there with the sha256 recorded
 * when it was made. A missing or changed archive is a ConfigurationError (not retryable) that names the
 * path and says that nothing was stopped or moved.
 */
export async function checkBackupArchive(instance: Instance, backup: BackupRecord): Promise<{ path: string; sha256: string; bytes: number }> {
  return checkArchive(instance, backup, 'Nothing was stopped or moved: the gateway and its state (the migrated one) are untouched.');
}

async function checkArchive(instance: Instance, backup: BackupRecord, untouched: string): Promise<{ path: string; sha256: string; bytes: number }> {
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

/** What a restore records next to its extraction, so a retry after a crash finishes the same job. */
interface RestoreJournal {
  archive: string;
  sha256: string;
  /** Set once `openclaw backup restore` finished into `extracted`. */
  extracted: boolean;
  moves: RestoreMove[];
  /** Assets of the archive that are left in the extraction (workspaces, external agent dirs, credentials). */
  notActivated: string[];
  done: boolean;
}
interface RestoreMove {
  kind: string;
  /** Where the asset lives (the manifest's sourcePath). */
  livePath: string;
  /** The restored copy under the extraction. */
  restoredPath: string;
  /** Identity of the restored copy (inode), to recognise it once it is in place. */
  restoredIno: number;
  /** Where the current (migrated) asset goes; chosen and recorded before it is moved. */
  asidePath: string;
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
  const access = instance.gateway;
  const untouched = 'Nothing was moved: the state in place (migrated by the newer release) is untouched.';
  const work = restoreWorkDir(backup.path);
  const journalPath = join(work, 'journal.json');
  let journal = await readJournal(journalPath);
  if (journal?.done) return restoreResult(journal, backup, started, true);

  // The archive must be the one recorded. Once moves started (a retry), the archive was checked already.
  if (!journal?.moves.length) await checkArchive(instance, backup, untouched);
  // The gateway must be stopped: its state is about to be moved.
  const httpUrl = await gatewayHttpUrl(access, ctx);
  if (await answersHttp(httpUrl, ctx.signal)) {
    throw new CheckFailedError(`cannot restore instance ${instance.id}: the gateway still answers ${httpUrl}/readyz. ${untouched} Stop it first (\`${describeStop(instance)}\`).`);
  }

  await mkdir(work, { recursive: true, mode: 0o700 });
  const extracted = join(work, 'extracted');
  const notActivated: string[] = [];
  if (!journal?.extracted) {
    await rm(extracted, { recursive: true, force: true }); // our own incomplete extraction, if any
    const r = await runCli(access, { args: ['backup', 'restore', backup.path, '--target', extracted, '--json'], ...ctx });
    let restored: parse.BackupRestoreResult;
    try {
      restored = parse.parseBackupRestore(r);
    } catch (err) {
      if (err instanceof RolloutError) err.message += `\n${untouched}`;
      throw err;
    }
    if (r.exitCode !== 0) throw new TransientError(describeFailure(r, `exit 0 with the archive restored into ${extracted}`) + `\n${untouched}`);
    const manifest = parse.parseBackupManifest(await readFile(join(extracted, restored.archiveRoot, 'manifest.json'), 'utf8'));
    const moves: RestoreMove[] = [];
    const stamp = ISO_STAMP();
    for (const asset of manifest.assets) {
      if (asset.kind !== 'state' && asset.kind !== 'config') {
        notActivated.push(`${asset.kind} ${asset.sourcePath}`);
        continue;
      }
      // The archive says where each asset came from; the gateway must still be looking there.
      if (asset.kind === 'state' && access.stateDir && resolve(access.stateDir) !== asset.sourcePath) {
        throw new ConfigurationError(
          `cannot restore instance ${instance.id}: the archive ${backup.path} holds the state dir ${asset.sourcePath}, but the inventory's gateway.stateDir is ${resolve(access.stateDir)}. ${untouched} ` +
            `Restore it by hand (\`openclaw backup restore ${backup.path} --target <fresh dir>\`) to the right place.`,
        );
      }
      if (asset.kind === 'config' && access.configPath && resolve(access.configPath) !== asset.sourcePath) {
        notActivated.push(`config ${asset.sourcePath} (the inventory's gateway.configPath is ${resolve(access.configPath)})`);
        continue;
      }
      const restoredPath = join(extracted, asset.archivePath);
      const ino = (await lstat(restoredPath)).ino;
      moves.push({ kind: asset.kind, livePath: asset.sourcePath, restoredPath, restoredIno: ino, asidePath: `${asset.sourcePath}.pre-restore-${stamp}` });
    }
    if (!moves.some((m) => m.kind === 'state')) {
      throw new TransientError(`the archive ${backup.path} holds no state asset (its manifest lists ${manifest.assets.map((a) => a.kind).join(', ') || 'nothing'}). ${untouched}`);
    }
    journal = { archive: backup.path, sha256: backup.sha256, extracted: true, moves, notActivated, done: false };
    await writeJournal(journalPath, journal);
  }
  const j = journal;
  for (const m of j.moves) {
    ctx.signal?.throwIfAborted();
    const live = await lstat(m.livePath).catch(() => undefined);
    if (live?.ino === m.restoredIno) continue; // already in place
    const restoredThere = await exists(m.restoredPath);
    if (!restoredThere) {
      throw new TransientError(
        `restore of instance ${instance.id} cannot continue: the restored ${m.kind} ${m.restoredPath} is gone and ${m.livePath} is not it. ` +
          `The state from before the restore is at ${m.asidePath} if it was moved. Look at ${work}/journal.json and finish by hand.`,
      );
    }
    if (live) {
      if (await exists(m.asidePath)) {
        throw new TransientError(`restore of instance ${instance.id}: both ${m.livePath} and ${m.asidePath} exist and neither is the restored copy; refusing to overwrite. Finish by hand (journal: ${journalPath}).`);
      }
      await moveInPlace(m.livePath, m.asidePath, instance.id);
    }
    await moveInPlace(m.restoredPath, m.livePath, instance.id);
  }
  j.done = true;
  await writeJournal(journalPath, j);
  return restoreResult(j, backup, started, false);
}

/** Where the restore of `archive` extracts and keeps its journal: `<backup dir>/.restore-<archive name>/`. */
const restoreWorkDir = (archive: string) => join(dirname(archive), `.restore-${basename(archive).replace(/\.tar\.gz$/, '')}`);

function restoreResult(j: RestoreJournal, backup: BackupRecord, started: number, alreadyRestored: boolean): RestoreResult {
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

const describeStop = (instance: Instance) => {
  try {
    return serviceCommand(instance, 'stop').join(' ');
  } catch {
    return 'stop the gateway';
  }
};

async function moveInPlace(from: string, to: string, instanceId: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EXDEV') {
      throw new ConfigurationError(`cannot move ${from} to ${to}: they are on different filesystems. Put backup.dir of instance ${instanceId} on the state dir's filesystem (the default, <stateDir>${DEFAULT_DIR_SUFFIX}, is).`);
    }
    throw new TransientError(`cannot move ${from} to ${to}: ${quote(e.message, 300)}`);
  }
}

async function readJournal(path: string): Promise<RestoreJournal | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as RestoreJournal) : undefined;
}

async function writeJournal(path: string, journal: RestoreJournal): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(journal, null, 2), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

// ---------------------------------------------------------------------------------------------------
// Database preflight

/**
 * The installed release's `openclaw database preflight <copy> --json` on the state database and
 * `preflight-agent <copy> --agent-id <id> --json` on each agent database of the state dir. As the docs
 * ask, each runs on a copy (a consolidated file with no -wal/-shm/-journal siblings) in a scratch dir
 * next to the backups, removed afterwards. Only `exact` proves the release opens it unchanged.
 */
export async function checkRestoredDatabases(
  instance: Instance,
  ctx: CallContext,
): Promise<RestoredDatabases> {
  const access = instance.gateway;
  const stateDir = await resolveStateDir(access, ctx);
  const found: { path: string; agentId?: string }[] = [];
  const stateDb = join(stateDir, 'state', 'openclaw.sqlite');
  if (await exists(stateDb)) found.push({ path: stateDb });
  const agentsDir = join(stateDir, 'agents');
  for (const d of await readdir(agentsDir, { withFileTypes: true }).catch(() => [])) {
    const db = join(agentsDir, d.name, 'agent', 'openclaw-agent.sqlite');
    if (d.isDirectory() && (await exists(db))) found.push({ path: db, agentId: d.name });
  }
  if (found.length === 0) {
    throw new CheckFailedError(`no database found in ${stateDir} (expected state/openclaw.sqlite): the restore did not put the state in place. Look at ${stateDir}.`);
  }
  const scratch = join(backupDirFor(instance, stateDir), `.preflight-${ISO_STAMP()}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const databases: { path: string; status: string; detail?: string }[] = [];
  try {
    for (const [i, db] of found.entries()) {
      ctx.heartbeat?.({ step: 'preflight', db: db.path });
      const sidecars = [];
      for (const s of ['-wal', '-shm', '-journal']) {
        const st = await stat(db.path + s).catch(() => undefined);
        if (st && st.size > 0) sidecars.push(basename(db.path + s));
      }
      if (sidecars.length) {
        databases.push({ path: db.path, status: 'indeterminate', detail: `has ${sidecars.join(', ')} next to it (was it opened since the restore?); a copy of the main file alone would miss data` });
        continue;
      }
      const copy = join(scratch, `${i}-${basename(db.path)}`);
      await copyFile(db.path, copy);
      const args = db.agentId ? ['database', 'preflight-agent', copy, '--agent-id', db.agentId, '--json'] : ['database', 'preflight', copy, '--json'];
      const r = await runCli(access, { args, ...ctx });
      const res = parse.parseDatabasePreflight(r);
      databases.push({ path: db.path, status: res.status, ...(res.detail ? { detail: res.detail } : {}) });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { databases, allExact: databases.every((d) => d.status === 'exact') };
}

