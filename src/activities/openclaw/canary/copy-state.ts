/**
 * A consistent copy of a live instance's state for the canary boot: every SQLite database through
 * SQLite's online backup API (never a raw copy of a live WAL database: the copy would miss what sits
 * in the -wal file), the other files copied as they are, caches and scratch files left out. The live
 * state is only read.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';

/** What the copy leaves out: rebuilt by the gateway (cache, tmp) or part of a database (sidecars). */
const SKIPPED_DIRS = new Set(['cache', 'tmp']);
const SIDECAR = /\.(sqlite|db)-(wal|shm|journal)$/;
const DATABASE = /\.(sqlite|db)$/;

export interface StateCopy {
  databases: number;
  files: number;
}

/** Copies `from` (a live state dir) into the empty or missing dir `to`. */
export async function copyStateConsistently(from: string, to: string): Promise<StateCopy> {
  const counts: StateCopy = { databases: 0, files: 0 };
  await copyDir(from, to, counts, true);
  return counts;
}

async function copyDir(from: string, to: string, counts: StateCopy, top: boolean): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      if (!(top && SKIPPED_DIRS.has(entry.name))) await copyDir(src, dst, counts, false);
    } else if (entry.isFile() && !SIDECAR.test(entry.name)) {
      if (DATABASE.test(entry.name) && (await onlineBackup(src, dst))) counts.databases++;
      else {
        await copyFile(src, dst);
        counts.files++;
      }
    }
  }
}

/** SQLite's online backup of `src` into `dst`; false when `src` is not a database (then it is copied as a file). */
async function onlineBackup(src: string, dst: string): Promise<boolean> {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(src, { readOnly: true });
  } catch {
    return false;
  }
  try {
    await backup(db, dst);
  } catch (err) {
    if (/file is not a database/i.test(String(err))) return false;
    throw err;
  } finally {
    db.close();
  }
  // The copy keeps the source's WAL mode: the last connection's close checkpoints it into one file.
  new DatabaseSync(dst).close();
  return true;
}

/**
 * The copied state database still lists the live gateway's open agent databases
 * (`agent_database_leases`, owner = the live process, which is alive): the new release would refuse to
 * migrate the copy ("Agent main database is still open in process <pid>"). Likewise its gateway-owner
 * lease (`state_leases`, scope `gateway-owner`, written once a gateway has restarted on its state): the
 * canary would refuse to start ("Another Gateway owner lease is still active for this state directory").
 * No process holds the copy, so these leases are dropped. Returns how many.
 */
export function dropCopiedLeases(copyStateDir: string): number {
  const path = join(copyStateDir, 'state', 'openclaw.sqlite');
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch {
    return 0;
  }
  const drop = (table: string, where = '') =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)
      ? Number(db.prepare(`DELETE FROM ${table}${where}`).run().changes)
      : 0;
  try {
    return drop('agent_database_leases') + drop('state_leases', " WHERE scope = 'gateway-owner'");
  } finally {
    db.close();
  }
}
