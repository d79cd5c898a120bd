// The host side of rollback from a backup, the parts that need no gateway: stop/start commands derived
// from the restart command, the archive names pruning may touch, pruning itself, and restore's refusals
// (archive missing or changed) that must leave the state in place untouched. The whole sequence on a real
// gateway: test/bed/rollback-from-backup.check.ts.
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveName,
  archivePattern,
  backupDirFor,
  checkBackupArchive,
  createBackup,
  pruneBackups,
  restoreBackup,
  serviceCommand,
  sha256File,
} from '../../src/activities/openclaw/backup/index.js';
import { ConfigurationError } from '../../src/shared/errors.js';
import { parseInventory } from '../../src/inventory-file.js';
import type { Instance } from '../../src/shared/inventory.js';

const instanceWith = (
  extra: Record<string, unknown>,
  gateway: Record<string, unknown> = { stateDir: '/srv/gw1/state', configPath: '/srv/gw1/openclaw.json' },
): Instance =>
  parseInventory(
    JSON.stringify({
      cluster: 'c',
      loadBalancer: { type: 'none' },
      instances: [{ id: 'gw-1', gateway, lbServer: 'gw1', install: { type: 'global' }, ...extra }],
    }),
  ).instances[0]!;

describe('serviceCommand', () => {
  it("derives stop/start from the bed's `supervisorctl -c <conf> restart <program>`, keeping every other argument", () => {
    const inst = instanceWith({ restart: ['supervisorctl', '-c', '/bed/supervisord.conf', 'restart', 'gw-1'] });
    expect(serviceCommand(inst, 'stop')).toEqual(['supervisorctl', '-c', '/bed/supervisord.conf', 'stop', 'gw-1']);
    expect(serviceCommand(inst, 'start')).toEqual(['supervisorctl', '-c', '/bed/supervisord.conf', 'start', 'gw-1']);
  });

  it('derives them from `systemctl restart <unit>` (also by absolute path), and prefers explicit stop/start', () => {
    expect(
      serviceCommand(instanceWith({ restart: ['/usr/bin/systemctl', 'restart', 'openclaw-gw-1'] }), 'stop'),
    ).toEqual(['/usr/bin/systemctl', 'stop', 'openclaw-gw-1']);
    const explicit = instanceWith({
      restart: ['supervisorctl', 'restart', 'gw-1'],
      stop: ['/opt/stop-gw', '1'],
      start: ['/opt/start-gw', '1'],
    });
    expect(serviceCommand(explicit, 'stop')).toEqual(['/opt/stop-gw', '1']);
    expect(serviceCommand(explicit, 'start')).toEqual(['/opt/start-gw', '1']);
  });

  it('without a derivable restart it is a ConfigurationError naming instances[i].stop and the instance', () => {
    for (const restart of [undefined, ['/opt/restart-gw.sh'], ['supervisorctl', 'restart']]) {
      const err = (() => {
        try {
          serviceCommand(instanceWith(restart ? { restart } : {}), 'stop');
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected a ConfigurationError');
      })();
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toContain('instances[i].stop');
      expect(err.message).toContain('id: gw-1');
    }
  });
});

describe('archive names and the backup dir', () => {
  it("matches this instance's own names only (never gw-1-b's, never other files)", () => {
    const name = archiveName('gw-1', '2026.9.5', '2026-11-30T07-55-45-331Z');
    expect(name).toBe('openclaw-rollout-gw-1@2026.9.5-2026-11-30T07-55-45-331Z.tar.gz');
    expect(archivePattern('gw-1').test(name)).toBe(true);
    expect(archivePattern('gw-1').test(archiveName('gw-1-b', '2026.9.5', '2026-11-30T07-55-45-331Z'))).toBe(false);
    expect(archivePattern('gw-1').test('2026-11-30T07-53-14.965+00-00-openclaw-backup.tar.gz')).toBe(false);
    expect(archivePattern('gw-1').test(`${name}.hidden`)).toBe(false);
  });

  it('defaults to a sibling of the state dir, never inside it', () => {
    expect(backupDirFor(instanceWith({}), '/srv/gw1/state')).toBe('/srv/gw1/state.rollout-backups');
    expect(backupDirFor(instanceWith({ backup: { dir: '/backups/gw1/' } }), '/srv/gw1/state')).toBe('/backups/gw1');
  });
});

describe('on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pruneBackups keeps the newest `keep` of this instance and touches nothing else', async () => {
    const bdir = join(dir, 'prune');
    await mkdir(bdir);
    const mine = [
      '2026-11-01T00-00-00-000Z',
      '2026-11-02T00-00-00-000Z',
      '2026-11-03T00-00-00-000Z',
      '2026-11-04T00-00-00-000Z',
    ].map((s) => archiveName('gw-1', '2026.9.5', s));
    const others = [archiveName('gw-1-b', '2026.9.5', '2026-11-01T00-00-00-000Z'), 'manual.tar.gz', 'notes.txt'];
    for (const [i, n] of [...mine, ...others].entries()) {
      await writeFile(join(bdir, n), 'x');
      await utimes(join(bdir, n), 1_700_000_000 + i, 1_700_000_000 + i);
    }
    // The finished restore of mine[0] goes with it; the unfinished one of mine[1] stays (it may hold restored files).
    const work = (n: string) => join(bdir, `.restore-${n.replace(/\.tar\.gz$/, '')}`);
    await mkdir(work(mine[0]!));
    await writeFile(join(work(mine[0]!), 'journal.json'), JSON.stringify({ done: true, moves: [] }));
    await mkdir(work(mine[1]!));
    await writeFile(join(work(mine[1]!), 'journal.json'), JSON.stringify({ done: false, moves: [] }));
    const pruned = await pruneBackups(bdir, 'gw-1', 2, join(bdir, mine[3]!));
    expect(pruned.sort()).toEqual([join(bdir, mine[0]!), join(bdir, mine[1]!)]);
    expect((await readdir(bdir)).sort()).toEqual(
      [mine[2]!, mine[3]!, ...others, `.restore-${mine[1]!.replace(/\.tar\.gz$/, '')}`].sort(),
    );
  });

  it('pruneBackups never deletes the newest archive of the release before (the way back while a newer one runs), and does not count it', async () => {
    const bdir = join(dir, 'prune-way-back');
    await mkdir(bdir);
    const stamps = ['01', '02', '03', '04', '05'].map((d) => `2026-11-${d}T00-00-00-000Z`);
    const before = [archiveName('gw-2', '2026.9.5', stamps[0]), archiveName('gw-2', '2026.9.5', stamps[1])];
    const after = stamps.slice(2).map((s) => archiveName('gw-2', '2026.9.6', s));
    for (const [i, n] of [...before, ...after].entries()) {
      await writeFile(join(bdir, n), 'x');
      await utimes(join(bdir, n), 1_700_000_000 + i, 1_700_000_000 + i);
    }
    // Three reruns on 2026.9.6 after a rejection, keep 2: the newest 2026.9.5 archive stays, the older one goes.
    const pruned = await pruneBackups(bdir, 'gw-2', 2, join(bdir, after[2]!), '2026.9.6');
    expect(pruned.sort()).toEqual([join(bdir, before[0]!), join(bdir, after[0]!)].sort());
    expect((await readdir(bdir)).sort()).toEqual([before[1]!, after[1]!, after[2]!].sort());
  });

  it('createBackup of a gateway reached by url only is skipped, saying rollback cannot restore', async () => {
    const inst = instanceWith({}, { url: 'wss://gw1.internal:18789', token: { env: 'T' } });
    const r = await createBackup(inst, '2026.9.5', { timeoutMs: 1000 });
    expect(r).toEqual({
      skipped: expect.stringMatching(/reached by url only.*cannot restore the state from before the update/),
    });
  });

  it('restoreBackup refuses a missing or changed archive before anything else, and moves nothing', async () => {
    const stateDir = join(dir, 'gw', 'state');
    await mkdir(join(stateDir, 'state'), { recursive: true });
    await writeFile(join(stateDir, 'state', 'openclaw.sqlite'), 'migrated');
    const archive = join(dir, 'gw', 'state.rollout-backups', archiveName('gw-1', '2026.9.5'));
    await mkdir(join(dir, 'gw', 'state.rollout-backups'));
    const inst = instanceWith(
      {},
      { stateDir, configPath: join(dir, 'gw', 'openclaw.json'), httpUrl: 'http://127.0.0.1:9' },
    );
    const record = {
      path: archive,
      sha256: 'a'.repeat(64),
      bytes: 1,
      createdAt: new Date().toISOString(),
      version: '2026.9.5',
    };
    const before = (await stat(stateDir)).ino;

    const missing = await restoreBackup(inst, record, { timeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect(missing!.message).toContain(archive);
    expect(missing!.message).toContain('does not exist');
    expect(missing!.message).toContain('the state in place (migrated by the newer release) is untouched');

    await writeFile(archive, 'not the archive that was recorded');
    const changed = await restoreBackup(inst, record, { timeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(changed).toBeInstanceOf(ConfigurationError);
    expect(changed!.message).toContain(`has sha256 ${(await sha256File(archive)).sha256}, not ${'a'.repeat(64)}`);
    expect(changed!.message).toContain('untouched');

    const early = await checkBackupArchive(inst, record).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(early).toBeInstanceOf(ConfigurationError);
    expect(early!.message).toContain('Nothing was stopped or moved');
    const right = { ...record, sha256: (await sha256File(archive)).sha256 };
    expect(await checkBackupArchive(inst, right)).toEqual({ path: archive, sha256: right.sha256, bytes: 33 });

    expect((await stat(stateDir)).ino).toBe(before);
    expect(await readdir(join(dir, 'gw'))).toEqual(expect.arrayContaining(['state', 'state.rollout-backups']));
    expect((await readdir(join(dir, 'gw'))).filter((n) => n.includes('pre-restore'))).toEqual([]);
  });
});
