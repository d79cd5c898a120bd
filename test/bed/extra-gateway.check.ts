/**
 * Checks extra-gateway.ts and the jump's fix step on a real bed, by hand, without Temporal, and prints
 * how long each step took:
 *
 *   a small bed (1 gateway, or the one at OPENCLAW_ROLLOUT_BED_DIR if it is up) → startExtraGateway on
 *   2026.8.2 (supervisor program, own prefix/state/ports, HAProxy `extra` backend) → its own inventory
 *   (validated) → traffic through the frontend's /extra-… → the update step the rollout will run:
 *   doctor (running release) → stopGateway → the target's files into its prefix (a hard-linked copy of
 *   the template instead of `npm i -g`, to spare the machine) → runDoctorFix → startGateway(target) →
 *   doctor → removeExtraGateway.
 *
 *   source scripts/env.sh
 *   OPENCLAW_ROLLOUT_BED_DIR=$PWD/.bed/helper-jump npx tsx test/bed/extra-gateway.check.ts [--keep-bed]
 */
import { existsSync } from 'node:fs';
import * as bk from '../../src/activities/openclaw/backup/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { runDoctorFix } from '../../src/activities/openclaw/upgrade/index.js';
import { loadInventory } from '../../src/inventory-file.js';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { defaultBedDir, readBedInfo, startBed, stopBed, type BedInfo } from './bed.js';
import { putOnRelease } from './bed-gateway.js';
import { removeExtraGateway, startExtraGateway, writeExtraInventory } from './extra-gateway.js';
import { versions } from './tools.js';

const keepBed = process.argv.includes('--keep-bed');
const dir = defaultBedDir();
const t = () => Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const s = t();
  const r = await fn();
  console.log(`[check] ${what}: ${secs(t() - s)}`);
  return r;
};

let info: BedInfo;
let ownBed = false;
if (existsSync(`${dir}/bed.json`) && existsSync(`${dir}/supervisor.sock`)) {
  info = await readBedInfo(dir);
} else {
  info = await step('small bed (1 gateway) up', () => startBed({ dir, gateways: 1 }));
  ownBed = true;
}
try {
  const extra = await step(`startExtraGateway ${versions.OPENCLAW_JUMP_FROM_VERSION}`, () => startExtraGateway(info));
  console.log(
    `[check]   ready ${secs(extra.readyMs)} after supervisorctl add; UP in HAProxy ${secs(extra.lbUpMs)} later`,
  );
  const startup = (await (await fetch(`${extra.gateway.httpUrl}/startupz`)).json()) as { version?: string };
  if (startup.version !== versions.OPENCLAW_JUMP_FROM_VERSION) throw new Error(`extra gateway runs ${startup.version}`);
  const rows = await showStat(info.haproxy.socket);
  console.log(`[check]   HAProxy: ${rows.map((r) => `${r.backend}/${r.server} ${r.status}`).join(', ')}`);
  const viaLb = await fetch(`http://127.0.0.1:${info.haproxy.frontendPort}/extra-probe`).then((r) => r.status);
  console.log(`[check]   GET /extra-probe through the frontend: HTTP ${viaLb}`);

  const invPath = await writeExtraInventory(info, extra);
  const inventory = await loadInventory(invPath);
  const instance = inventory.instances[0]!;
  console.log(
    `[check]   inventory ${invPath}: cluster ${inventory.cluster}, backend ${inventory.loadBalancer.type === 'haproxy' ? inventory.loadBalancer.backend : '?'}, stop = ${bk.serviceCommand(instance, 'stop').join(' ')}`,
  );

  const ctx = { timeoutMs: 120_000 };
  const before = await step('doctor with the running release (2026.8.2)', () => oc.doctor(instance.gateway, ctx));
  console.log(
    `[check]   ${JSON.stringify({ passed: before.passed, errors: before.errors.length, migrations: before.migrations.length, warnings: before.warnings.length })}`,
  );
  await step('stopGateway', () => bk.stopGateway(instance, ctx));
  await step(
    `current switched to ${versions.OPENCLAW_TARGET_VERSION} (staged from the template with cp -al)`,
    async () => {
      await putOnRelease(extra.gateway.root, versions.OPENCLAW_TARGET_VERSION);
    },
  );
  const readOnly = await step('read-only doctor of the new release on the old state', () =>
    oc.doctor(instance.gateway, ctx),
  );
  console.log(
    `[check]   ${JSON.stringify({ passed: readOnly.passed, errors: readOnly.errors, migrations: readOnly.migrations, migrationPending: readOnly.migrationPending })}`,
  );
  const fix = await step('runDoctorFix', () => runDoctorFix(instance, ctx));
  console.log(
    `[check]   fixed: ${JSON.stringify(fix.fixed)}\n[check]   changes (${fix.changes.length}): ${JSON.stringify(fix.changes.slice(0, 5))}\n[check]   warnings: ${fix.warnings.length}`,
  );
  const started = await step(`startGateway ${versions.OPENCLAW_TARGET_VERSION}`, () =>
    bk.startGateway(instance, versions.OPENCLAW_TARGET_VERSION, { ...ctx, readyDeadlineMs: 180_000 }),
  );
  console.log(`[check]   ${JSON.stringify(started)}`);
  const after = await step('doctor after the start', () => oc.doctor(instance.gateway, ctx));
  console.log(
    `[check]   ${JSON.stringify({ passed: after.passed, errors: after.errors, migrations: after.migrations })}`,
  );
  const again = await step('runDoctorFix refused while the gateway runs', () =>
    runDoctorFix(instance, ctx).then(
      () => 'ran!',
      (e: Error) => e.message.split('\n')[0]!,
    ),
  );
  console.log(`[check]   ${again}`);
  await step('removeExtraGateway', () => removeExtraGateway(info, extra.gateway.id));
  const left = (await showStat(info.haproxy.socket)).filter(
    (r) => r.backend === 'extra' && r.server === extra.gateway.lbServer,
  );
  console.log(`[check]   left in HAProxy: ${left.length}, dir left: ${existsSync(extra.gateway.dir)}`);
} finally {
  if (ownBed && !keepBed) await step('bed down', () => stopBed(dir));
}
