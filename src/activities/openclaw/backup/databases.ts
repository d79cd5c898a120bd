/**
 * After a restore: the installed release's `openclaw database preflight` on copies of the state's
 * databases (only `exact` proves the release opens a file unchanged).
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CheckFailedError } from '../../../shared/errors.js';
import type { Instance } from '../../../shared/inventory.js';
import type { CallContext } from '../../call-context.js';
import { hasCommand } from '../capabilities.js';
import { runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import { isoStamp, exists, resolveStateDir, backupDirFor } from './archive.js';

/** A database the installed release has no preflight command for (the start itself is then the check). */
export const NOT_CHECKED = 'not-checked';

export interface RestoredDatabases {
  /** Status `exact` … `indeterminate` as the release said, or `not-checked` when it has no command for that database. */
  databases: { path: string; status: string; detail?: string }[];
  /** Every database the release could check is `exact`. */
  allExact: boolean;
  /** What the release could not check, and why (e.g. 2026.8.2 has no `database preflight-agent`). */
  warnings?: string[];
}

/**
 * The installed release's `openclaw database preflight <copy> --json` on the state database and
 * `preflight-agent <copy> --agent-id <id> --json` on each agent database of the state dir. As the docs
 * ask, each runs on a copy (a consolidated file with no -wal/-shm/-journal siblings) in a scratch dir
 * next to the backups, removed afterwards. Only `exact` proves the release opens it unchanged.
 */
export async function checkRestoredDatabases(instance: Instance, ctx: CallContext): Promise<RestoredDatabases> {
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
    throw new CheckFailedError(
      `no database found in ${stateDir} (expected state/openclaw.sqlite): the restore did not put the state in place. Look at ${stateDir}.`,
    );
  }
  const scratch = join(backupDirFor(instance, stateDir), `.preflight-${isoStamp()}`);
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
        databases.push({
          path: db.path,
          status: 'indeterminate',
          detail: `has ${sidecars.join(', ')} next to it (was it opened since the restore?); a copy of the main file alone would miss data`,
        });
        continue;
      }
      const command = db.agentId ? ['database', 'preflight-agent'] : ['database', 'preflight'];
      const { has, release } = await hasCommand(access, command, ctx);
      if (!has) {
        databases.push({
          path: db.path,
          status: NOT_CHECKED,
          detail: `openclaw ${release} has no \`openclaw ${command.join(' ')}\`: not checked before the start`,
        });
        continue;
      }
      const copy = join(scratch, `${i}-${basename(db.path)}`);
      await copyFile(db.path, copy);
      const args = [...command, copy, ...(db.agentId ? ['--agent-id', db.agentId] : []), '--json'];
      const r = await runCli(access, { args, ...ctx });
      const res = parse.parseDatabasePreflight(r);
      databases.push({ path: db.path, status: res.status, ...(res.detail ? { detail: res.detail } : {}) });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const checked = databases.filter((d) => d.status !== NOT_CHECKED);
  return {
    databases,
    allExact: checked.every((d) => d.status === 'exact'),
    warnings: databases.filter((d) => d.status === NOT_CHECKED).map((d) => `${d.path}: ${d.detail}`),
  };
}
