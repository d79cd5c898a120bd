/**
 * What a restore records next to its extraction (`<backup dir>/.restore-<archive>/journal.json`), so
 * that a retry after a crash finishes the moves it started instead of losing or repeating one.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What a restore records next to its extraction, so a retry after a crash finishes the same job. */
export interface RestoreJournal {
  archive: string;
  sha256: string;
  /** Set once `openclaw backup restore` finished into `extracted`. */
  extracted: boolean;
  moves: RestoreMove[];
  /** Assets of the archive that are left in the extraction (workspaces, external agent dirs, credentials). */
  notActivated: string[];
  done: boolean;
}
export interface RestoreMove {
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

/** Where the restore of `archive` extracts and keeps its journal: `<backup dir>/.restore-<archive name>/`. */
export const restoreWorkDir = (archive: string) =>
  join(dirname(archive), `.restore-${basename(archive).replace(/\.tar\.gz$/, '')}`);

export async function readJournal(path: string): Promise<RestoreJournal | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as RestoreJournal) : undefined;
}

export async function writeJournal(path: string, journal: RestoreJournal): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(journal, null, 2), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
