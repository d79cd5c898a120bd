/**
 * Runs "rollback from a verified backup" by hand on ONE real bed gateway, through the plain functions of
 * src/activities/openclaw/backup/ and openclaw/ (no Temporal), and prints how long each step took:
 *
 *   createBackup on the running release → install the target into the gateway's prefix → restart (the
 *   new release migrates the state) → checkBackupArchive → stopGateway → restoreBackup refused (archive missing / changed)
 *   → restoreBackup → a retry after a simulated crash between the moves → reinstall the old release →
 *   checkRestoredDatabases (all exact) → doctor → startGateway(old) → devices still paired.
 *
 *   source scripts/env.sh
 *   OPENCLAW_ROLLOUT_BED_DIR=$PWD/.bed/helper-backup npm run bed -- up
 *   OPENCLAW_ROLLOUT_BED_DIR=$PWD/.bed/helper-backup npx tsx test/bed/rollback-from-backup.check.ts [gw-1]
 *
 * It leaves the gateway on the old release with the restored state (the migrated one kept aside).
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { execa } from 'execa';
import * as bk from '../../src/activities/openclaw/backup/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { childEnvironment } from '../../src/activities/host/child-env.js';
import { ConfigurationError } from '../../src/shared/errors.js';
import { loadInventory } from '../../src/inventory-file.js';
import { readBedInfo } from './bed.js';

const info = await readBedInfo();
const id = process.argv[2] ?? 'gw-1';
const inventory = await loadInventory(info.inventoryPath);
const instance = inventory.instances.find((i) => i.id === id)!;
const g = info.gateways.find((x) => x.id === id)!;
const from = info.fromVersion;
const to = info.targetVersion;
const ctx: oc.CallContext = { timeoutMs: 900_000, heartbeat: () => undefined };
const timings: Record<string, number> = {};
const t0 = Date.now();

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`-- ${name} ... `);
  const result = await fn();
  timings[name] = Date.now() - started;
  console.log(`${(timings[name] / 1000).toFixed(1)} s`);
  return result;
}
function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`CHECK FAILED: ${what}`);
  console.log(`   ok: ${what}`);
}
const stateDb = `${g.stateDir}/state/openclaw.sqlite`;
const fingerprint = async () => {
  const st = await stat(g.stateDir);
  return `${st.ino}:${(await bk.sha256File(stateDb)).sha256}`;
};
/** The old release's own preflight (from the template prefix), on a copy: what 2026.9.5 thinks of a state. */
async function preflightWith(version: string, db: string): Promise<string> {
  const copy = `${g.dir}/home/preflight-copy.sqlite`;
  await execa('cp', [db, copy]);
  const cli = `${process.cwd()}/.tools/openclaw/${version}/lib/node_modules/openclaw/openclaw.mjs`;
  const r = await execa(g.cli[0]!, [cli, 'database', 'preflight', copy, '--json'], {
    env: childEnvironment(g.env),
    extendEnv: false,
    reject: false,
  });
  await execa('rm', ['-f', copy]);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

const before = await oc.devicesList(instance.gateway, ctx);
const pairedBefore = before.paired.map((d) => d.deviceId).sort();
console.log(`${id}: ${g.stateDir}, paired devices ${pairedBefore.join(', ') || '(none)'}`);
check((await oc.startupVersion(g.httpUrl)).version === from, `${id} runs ${from}`);

const backup = await step('createBackup', () => bk.createBackup(instance, from, ctx));
if ('skipped' in backup) throw new Error(`skipped: ${backup.skipped}`);
console.log(`   ${backup.path} ${backup.bytes} bytes sha256 ${backup.sha256.slice(0, 16)}…`);
check((await bk.sha256File(backup.path)).sha256 === backup.sha256, 'the sha256 matches the file');

await step(`install ${to}`, () => oc.installVersion(instance.gateway, instance.install, to, ctx));
await step(`restart onto ${to} (migrates the state)`, () =>
  oc.restartGateway(instance.gateway, instance.restart, to, { ...ctx, readyDeadlineMs: 300_000 }),
);
check((await oc.startupVersion(g.httpUrl)).version === to, `${id} runs ${to}`);

const checked = await step('checkBackupArchive', () => bk.checkBackupArchive(instance, backup));
check(
  checked.sha256 === backup.sha256 && checked.bytes === backup.bytes,
  'the archive is there with the recorded sha256',
);
const stopped = await step('stopGateway', () => bk.stopGateway(instance, ctx));
console.log(`   ${stopped.command}`);
check(!(await bk.answersHttp(g.httpUrl)), '/readyz no longer answers');
const again = await step('stopGateway again (idempotent)', () => bk.stopGateway(instance, ctx));
check(again.command === stopped.command, 'a second stop is fine');
const migrated = await preflightWith(from, stateDb);
check(migrated === 'incompatible', `${from}'s preflight calls the migrated state "${migrated}"`);

// Refusals: nothing may move.
const fpMigrated = await fingerprint();
const hidden = `${backup.path}.hidden`;
await rename(backup.path, hidden);
const refused = await bk.restoreBackup(instance, backup, ctx).then(
  () => undefined,
  (e: unknown) => e as Error,
);
const refusedEarly = await bk.checkBackupArchive(instance, backup).then(
  () => undefined,
  (e: unknown) => e as Error,
);
await rename(hidden, backup.path);
check(
  refusedEarly instanceof ConfigurationError && refusedEarly.message.includes(backup.path),
  'checkBackupArchive refuses the missing archive too',
);
check(
  refused instanceof ConfigurationError,
  'restore with the archive missing is refused (ConfigurationError, not retryable)',
);
console.log(`   "${refused!.message}"`);
check(
  refused!.message.includes(backup.path) && /untouched/.test(refused!.message),
  'the refusal names the archive and says the migrated state is untouched',
);
const changed = await bk.restoreBackup(instance, { ...backup, sha256: '0'.repeat(64) }, ctx).then(
  () => undefined,
  (e: unknown) => e as Error,
);
check(
  changed instanceof ConfigurationError && /sha256/.test(changed.message),
  'restore with another sha256 is refused',
);
check((await fingerprint()) === fpMigrated, 'the migrated state is untouched after both refusals');

const restored = await step('restoreBackup', () => bk.restoreBackup(instance, backup, ctx));
console.log(`   ${JSON.stringify(restored)}`);
check((await stat(restored.movedAsideTo)).isDirectory(), `the migrated state is kept at ${restored.movedAsideTo}`);
check((await preflightWith(from, stateDb)) === 'exact', `${from}'s preflight calls the state in place "exact"`);

// A crash between "moved aside" and "moved into place": undo the last rename by hand, then retry.
const journalPath = `${bk.backupDirFor(instance, g.stateDir)}/.restore-${backup.path
  .split('/')
  .pop()!
  .replace(/\.tar\.gz$/, '')}/journal.json`;
const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
  moves: { kind: string; livePath: string; restoredPath: string; asidePath: string }[];
  done: boolean;
};
const stateMove = journal.moves.find((m) => m.kind === 'state')!;
const configMove = journal.moves.find((m) => m.kind === 'config');
await rename(stateMove.livePath, stateMove.restoredPath); // state: aside done, not yet in place
if (configMove) {
  await rename(configMove.livePath, configMove.restoredPath); // config: as if nothing was moved yet
  await rename(configMove.asidePath, configMove.livePath);
}
journal.done = false;
await (await import('node:fs/promises')).writeFile(journalPath, JSON.stringify(journal));
const retried = await step('restoreBackup retried after a simulated crash', () =>
  bk.restoreBackup(instance, backup, ctx),
);
check(retried.movedAsideTo === restored.movedAsideTo, 'the retry finishes the same job (same aside path)');
check((await preflightWith(from, stateDb)) === 'exact', 'the restored state is in place after the retry');
const third = await bk.restoreBackup(instance, backup, ctx);
check((third as { alreadyRestored?: boolean }).alreadyRestored === true, 'a third call sees it is already restored');

await step(`reinstall ${from}`, () => oc.installVersion(instance.gateway, instance.install, from, ctx));
const dbs = await step('checkRestoredDatabases', () => bk.checkRestoredDatabases(instance, ctx));
console.log(`   ${JSON.stringify(dbs)}`);
check(dbs.allExact, 'every restored database is exact for the reinstalled release');
const doctor = await step('doctor', () => oc.doctor(instance.gateway, ctx));
check(doctor.passed, `doctor passes (${doctor.warnings.length} warnings)`);
const started = await step(`startGateway(${from})`, () =>
  bk.startGateway(instance, from, { ...ctx, readyDeadlineMs: 300_000 }),
);
console.log(`   ${JSON.stringify(started)}`);
const startedAgain = await step('startGateway again (idempotent)', () =>
  bk.startGateway(instance, from, { ...ctx, readyDeadlineMs: 300_000 }),
);
check(startedAgain.version === from, 'a second start is fine');
const status = await oc.gatewayStatus(instance.gateway, ctx);
check(status.healthy && status.version === from, `gateway status: healthy on ${status.version}`);
const after = await oc.devicesList(instance.gateway, ctx);
const pairedAfter = after.paired.map((d) => d.deviceId).sort();
check(
  JSON.stringify(pairedAfter) === JSON.stringify(pairedBefore),
  `devices list still has the paired devices (${pairedAfter.join(', ') || 'none'})`,
);

timings.total = Date.now() - t0;
console.log(
  `\ntimings (s): ${Object.entries(timings)
    .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}`)
    .join(', ')}`,
);
