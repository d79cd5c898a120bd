// The canary's copy of the state and its config: what an operator would check before letting a second
// gateway start on a copy of a live instance (it can never reach or write the live one). The boot itself
// runs on the real bed (test/e2e/04f and 05).
import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { canaryConfig, unsupportedConfig } from '../../src/activities/openclaw/canary/config.js';
import { copyStateConsistently, dropCopiedLeases } from '../../src/activities/openclaw/canary/copy-state.js';
import { parseStartupChanges } from '../../src/activities/openclaw/parse/index.js';

const dirs: string[] = [];
const scratch = async () => {
  const d = await mkdtemp(join(tmpdir(), 'canary-'));
  dirs.push(d);
  return d;
};
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('canaryConfig', () => {
  const live = '/srv/gw-1/state';
  const paths = {
    liveStateDir: live,
    copyStateDir: '/srv/backups/.canary-1/state',
    outsideDir: '/srv/backups/.canary-1/outside',
    port: 31000,
    logFile: '/srv/backups/.canary-1/canary.log',
  };
  const config = {
    gateway: { mode: 'local', port: 18789, bind: 'lan', auth: { mode: 'token', token: 'T' } },
    logging: { file: '/srv/gw-1/gateway.log', level: 'info' },
    channels: { telegram: { enabled: true } },
    agents: {
      defaults: { workspace: `${live}/workspace` },
      list: [{ id: 'ops', workspace: '/home/ops/workspace', agentDir: `${live}/agents/ops/agent` }],
    },
  };

  it('gives the canary its own port on loopback, its own log, and no channel that could send a message', () => {
    const c = canaryConfig(config, paths) as typeof config;
    expect(c.gateway).toMatchObject({ port: 31000, bind: 'loopback', mode: 'local', auth: config.gateway.auth });
    expect(c.logging).toEqual({ file: paths.logFile, level: 'info' });
    expect(c.channels).toBeUndefined();
  });

  it('points every path in the state into the copy, and agent paths outside it at empty scratch dirs', () => {
    const c = canaryConfig(config, paths) as typeof config;
    expect(c.agents.defaults.workspace).toBe('/srv/backups/.canary-1/state/workspace');
    expect(c.agents.list[0]!.agentDir).toBe('/srv/backups/.canary-1/state/agents/ops/agent');
    expect(c.agents.list[0]!.workspace).toBe('/srv/backups/.canary-1/outside/0');
    expect(JSON.stringify(c)).not.toContain('/srv/gw-1/');
    expect(config.gateway.port).toBe(18789); // the live config object is not touched
  });

  it('skips a config it cannot rewrite safely, saying why', () => {
    expect(unsupportedConfig('{"gateway":{}}')).toBeUndefined();
    expect(unsupportedConfig('{ // comment\n}')).toMatch(/not plain JSON/);
    expect(unsupportedConfig('{"$include":"./more.json"}')).toMatch(/\$include/);
  });
});

describe('copyStateConsistently', () => {
  it('copies a live WAL database with what is still in its -wal file, and leaves caches and sidecars out', async () => {
    const from = join(await scratch(), 'state');
    await mkdir(join(from, 'state'), { recursive: true });
    await mkdir(join(from, 'cache'), { recursive: true });
    await writeFile(join(from, 'cache', 'big.bin'), 'x');
    await writeFile(join(from, 'credentials.json'), '{"a":1}');
    const db = new DatabaseSync(join(from, 'state', 'openclaw.sqlite'));
    db.exec('PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(v); INSERT INTO t VALUES (42);');
    // Still open, nothing checkpointed: the row lives in the -wal file only.
    expect((await stat(join(from, 'state', 'openclaw.sqlite-wal'))).size).toBeGreaterThan(0);
    const to = join(await scratch(), 'copy');
    const counts = await copyStateConsistently(from, to);
    db.close();
    expect(counts).toEqual({ databases: 1, files: 1 });
    expect(await readdir(join(to, 'state'))).toEqual(['openclaw.sqlite']); // one file, no sidecars
    const copy = new DatabaseSync(join(to, 'state', 'openclaw.sqlite'), { readOnly: true });
    expect(copy.prepare('SELECT v FROM t').get()).toEqual({ v: 42 });
    copy.close();
    expect(await readdir(to)).not.toContain('cache');
    expect(await readFile(join(to, 'credentials.json'), 'utf8')).toBe('{"a":1}');
  });
});

describe('dropCopiedLeases', () => {
  it("drops the live gateway's agent database and gateway-owner leases from the copy only", async () => {
    const copy = join(await scratch(), 'state');
    await mkdir(join(copy, 'state'), { recursive: true });
    const db = new DatabaseSync(join(copy, 'state', 'openclaw.sqlite'));
    db.exec(
      "CREATE TABLE agent_database_leases(lease_id, agent_id, path, owner_pid); INSERT INTO agent_database_leases VALUES ('l', 'main', '/live/agent.sqlite', 4379);" +
        // As 2026.9.5 writes it once a gateway restarted on its state (the owner is the live process).
        "CREATE TABLE state_leases(scope, lease_key, owner, payload_json); INSERT INTO state_leases VALUES ('gateway-owner', 'global', 'o', '{\"owner\":{\"pid\":4379}}'), ('other', 'k', 'o', '{}');",
    );
    db.close();
    expect(dropCopiedLeases(copy)).toBe(2);
    const after = new DatabaseSync(join(copy, 'state', 'openclaw.sqlite'), { readOnly: true });
    expect(after.prepare('SELECT count(*) AS n FROM agent_database_leases').get()).toEqual({ n: 0 });
    expect(after.prepare('SELECT scope FROM state_leases').all()).toEqual([{ scope: 'other' }]);
    after.close();
    expect(dropCopiedLeases(join(await scratch(), 'none'))).toBe(0); // no database: nothing to drop
  });
});

describe('parseStartupChanges (what `gateway run` migrated, from its stdout)', () => {
  const fixture = (name: string) => readFile(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8');

  it('reads the migrations 2026.9.6 made on a copy of a 2026.9.5 state', async () => {
    const changes = parseStartupChanges(await fixture('gateway-run.canary-from-2026.9.5.txt'));
    expect(changes).toHaveLength(3);
    expect(changes[0]).toMatch(
      /^Saved pre-migration SQLite backup: \/srv\/backups\/.canary\/state\/state\/openclaw\.sqlite\.pre-startup-migration-/,
    );
    expect(changes[2]).toBe(
      'Upgraded agent database schema in /srv/backups/.canary/state/agents/main/agent/openclaw-agent.sqlite: v21 -> v23.',
    );
  });

  it('reads them on a 2026.8.2 state too, and nothing from a start that migrated nothing', async () => {
    expect(parseStartupChanges(await fixture('gateway-run.jump-without-fix.txt')).length).toBeGreaterThan(0);
    expect(parseStartupChanges('2026-12-07T16:27:01.269+00:00 [gateway] ready\n')).toEqual([]);
  });
});
