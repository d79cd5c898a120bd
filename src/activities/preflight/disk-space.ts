/**
 * disk-space: room for the install (global: under the prefix) and for the backup, per filesystem.
 */
import { readdir, lstat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Instance } from '../../shared/inventory.js';
import type { CheckResult } from '../../shared/preflight-rules.js';
import type { CallContext } from '../call-context.js';
import { backupDirFor } from '../openclaw/backup/archive.js';
import { capture } from './capture.js';

/** What one openclaw install needs on disk (the 2026.9.x package is ~650 MB; npm extracts before it swaps). */
export const INSTALL_BYTES = 700 * 1024 * 1024;

/** Free bytes for an unprivileged writer on the filesystem of `path` (its nearest existing ancestor). */
export async function freeBytes(path: string): Promise<{ bytes: number; at: string }> {
  let at = resolve(path);
  while (
    !(await lstat(at).then(
      () => true,
      () => false,
    )) &&
    dirname(at) !== at
  )
    at = dirname(at);
  const s = await statfs(at);
  return { bytes: s.bavail * s.bsize, at };
}

/** Bytes under `dir` (files only, symlinks not followed; stops counting after `limit` entries). */
export async function dirBytes(dir: string, limit = 200_000): Promise<number> {
  let total = 0;
  let seen = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (++seen > limit) return;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/** disk-space: room for the install (global: under the prefix) and for the backup (as large as the state dir, at most). */
export async function checkDiskSpace(instance: Instance, ctx: CallContext): Promise<CheckResult> {
  const needs = new Map<string, { free: number; need: number; what: string[] }>();
  const add = async (path: string, need: number, what: string) => {
    const { bytes, at } = await freeBytes(path);
    // One entry per filesystem (its device id): needs on the same one add up.
    const fsKey = String((await lstat(at)).dev);
    const e = needs.get(fsKey) ?? { free: bytes, need: 0, what: [] };
    e.need += need;
    e.what.push(`${what} (${mb(need)} under ${path})`);
    needs.set(fsKey, e);
  };
  const notes: string[] = [];
  if (instance.install.type === 'global') {
    let prefix = instance.install.prefix;
    if (!prefix) {
      const r = await capture([...instance.install.npm, 'prefix', '-g'], instance.gateway.env, ctx).catch(
        () => undefined,
      );
      prefix = r?.exitCode === 0 ? r.stdout.trim() : undefined;
    }
    if (prefix) await add(prefix, INSTALL_BYTES, 'the install');
    else notes.push("npm's global prefix is unknown: install room not checked");
  } else if (instance.install.type === 'staged') await add(instance.install.root, INSTALL_BYTES, 'the staged release');
  else notes.push(`install.type ${instance.install.type}: install room not knowable up front`);
  if (instance.gateway.stateDir) {
    const state = resolve(instance.gateway.stateDir);
    await add(backupDirFor(instance, state), await dirBytes(state), 'the backup');
  } else notes.push('no gateway.stateDir: backup room not checked');
  const short = [...needs.values()].filter((e) => e.free < e.need);
  const summary = [...needs.values()].map((e) => `${e.what.join(' + ')}: ${mb(e.free)} free`).join('; ');
  if (short.length) {
    return {
      check: 'disk-space',
      status: 'failed',
      found: `not enough room on ${instance.host ?? "the central worker's host"}: ${short.map((e) => `${e.what.join(' + ')} need ${mb(e.need)}, ${mb(e.free)} free`).join('; ')}.`,
      fix: 'free space there (or move install.prefix / backup.dir to a filesystem with room) before rolling out; npm fails with ENOSPC half-way otherwise.',
    };
  }
  return {
    check: 'disk-space',
    status: needs.size ? 'ok' : 'skipped',
    found: [summary, ...notes].filter(Boolean).join('; '),
  };
}
