/**
 * Where an instance's backups are and what they are called: the state dir to back up, the backup dir
 * (a sibling of the state dir by default), this tool's archive names (the only files pruning touches)
 * and an archive's sha256.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { ConfigurationError, TransientError } from '../../../shared/errors.js';
import type { GatewayAccess, Instance } from '../../../shared/inventory.js';
import type { CallContext } from '../../call-context.js';
import { describeFailure, runCli } from '../cli.js';
import * as parse from '../parse/index.js';

/** How many archives of an instance are kept when the inventory does not say. */
export const DEFAULT_KEEP = 3;
/** Suffix of the default backup dir, a sibling of the state dir: `<stateDir>.rollout-backups`. */
export const DEFAULT_DIR_SUFFIX = '.rollout-backups';

export const isoStamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/**
 * The archive name this tool writes, `openclaw-rollout-<instance>@<version>-<UTC stamp>.tar.gz` ('@'
 * cannot occur in an instance id, so gw-1's names never match gw-1-b's). Pruning only ever touches
 * names that match `archivePattern`.
 */
export function archiveName(instanceId: string, version: string, stamp = isoStamp()): string {
  return `openclaw-rollout-${instanceId}@${version.replace(/[^0-9A-Za-z.+-]/g, '_')}-${stamp}.tar.gz`;
}
export function archivePattern(instanceId: string): RegExp {
  const id = instanceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^openclaw-rollout-${id}@[0-9A-Za-z.+_-]+-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z\\.tar\\.gz$`,
  );
}

/**
 * The tag of an instance's backup and restore runs (host/leftovers.ts): one at a time per state, so a
 * retry after a dead worker stops the run it left before starting its own.
 */
export const backupOperation = (instance: Pick<Instance, 'id' | 'gateway'>) =>
  `backup:${instance.gateway.stateDir ?? instance.gateway.profile ?? instance.id}`;

/** The release an archive of this tool was taken with (from its name), or undefined for another file. */
export function archiveVersion(instanceId: string, name: string): string | undefined {
  if (!archivePattern(instanceId).test(name)) return undefined;
  return /@(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.tar\.gz$/.exec(name)?.[1];
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

export const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

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
  if (r.exitCode !== 0)
    throw new TransientError(describeFailure(r, 'exit 0 with the backup plan (to find the state dir)'));
  const plan = parse.parseBackupCreate(r, { dryRun: true });
  if (!plan.stateDir)
    throw new ConfigurationError(
      `\`${r.byHand}\` names no state dir to back up; set gateway.stateDir in the inventory.`,
    );
  return plan.stateDir;
}

/** The backup dir: the inventory's `backup.dir`, else `<stateDir>.rollout-backups` (a sibling, never inside it). */
export function backupDirFor(instance: Instance, stateDir: string): string {
  return instance.backup?.dir
    ? resolve(instance.backup.dir)
    : resolve(dirname(stateDir), basename(stateDir) + DEFAULT_DIR_SUFFIX);
}

export const inside = (child: string, parent: string) =>
  child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
