/**
 * Runbook steps 2-3 on real gateways: a staged install (`npm i -g --prefix <root>/versions/<target>`,
 * checked, then `<root>/current` switched to it) followed by a supervisor restart really changes the
 * version the gateway reports; an
 * in-process `openclaw gateway restart` cannot load it (a failed step, never a success); doctor and
 * the channels probe report health. Afterwards the gateway is reset to the starting release, so the
 * shared bed stays one release behind. Then the `source` install type on the same gateway, through the
 * rollout workflow: doctor, stop (supervisorctl), `openclaw update --no-restart --tag <target>` (on the
 * bed's npm installs it takes its package path end to end: stage, validate, swap, doctor), start,
 * verify; the update's own JSON report is the install step's detail.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayActivities } from '../../src/activities/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { startupVersion } from '../../src/activities/openclaw/index.js';
import type { Instance, Inventory } from '../../src/shared/inventory.js';
import type { BedInfo } from '../bed/bed.js';
import { resetGateway, type BedGateway } from '../bed/bed-gateway.js';
import { bed, runActivity, startWorker } from '../bed/context.js';
import { bedInventory } from '../bed/bed-inventory.js';
import { pollUntil } from '../bed/wait.js';
import { Inventory as InventorySchema } from '../../src/shared/inventory.js';
import { rolloutStart } from '../../src/cli/workflow-starts.js';
import { clusterRollout } from '../../src/workflows/cluster-rollout.js';
import { approveRejoinUpdate, progressQuery } from '../../src/shared/messages/rollout.js';

let info: BedInfo;
let inventory: Inventory;
let x: Instance;
const gw = (i: Instance): BedGateway => info.gateways.find((g) => g.id === i.id)!;
const t = (instance: Instance) => ({ instance, policy: inventory.policy });
const installedVersion = async (g: BedGateway) =>
  (JSON.parse(await readFile(join(g.prefix, 'lib/node_modules/openclaw/package.json'), 'utf8')) as { version: string })
    .version;
type Failure = Error & { type?: string };

beforeAll(async () => {
  ({ info, inventory } = await bed());
  // A gateway without paired clients: resetting it afterwards (fresh state) disturbs nobody.
  const free = inventory.instances.filter((i) => i.devices.length === 0);
  if (free.length === 0) throw new Error('the bed needs a gateway without paired clients for this test');
  x = free[0]!;
});

afterAll(async () => {
  // The rest of the suite expects the bed one release behind the target. A downgrade in place is
  // refused once the new release migrated the state (see resetGateway), so reset the gateway.
  if (x) await resetGateway(info, x.id);
});

describe('health checks of a running gateway', () => {
  it('channels probe is healthy and doctor finds no error', async () => {
    const channels = await runActivity(gatewayActivities.probeChannels, t(x));
    expect(channels.gatewayReachable).toBe(true);
    expect(channels.healthy).toBe(true);
    const doctor = await runActivity(gatewayActivities.runDoctor, t(x));
    expect(doctor.passed).toBe(true);
    expect(doctor.errors).toEqual([]);
  });
});

describe('staged install, then restart', () => {
  it('installs the target into this instance only; the running gateway still reports the old release', async () => {
    const outcome = await runActivity(gatewayActivities.installVersion, t(x), info.targetVersion);
    expect(outcome).toMatchObject({ kind: 'staged', switchedFrom: info.fromVersion });
    expect(await oc.currentRelease(gw(x).root)).toBe(info.targetVersion);
    expect(await installedVersion(gw(x))).toBe(info.targetVersion);
    for (const other of info.gateways.filter((g) => g.id !== x.id))
      expect(await installedVersion(other)).toBe(info.fromVersion);
    expect((await startupVersion(gw(x).httpUrl)).version).toBe(info.fromVersion);
  });

  it('an in-process `openclaw gateway restart` cannot load the new install: the step fails', async () => {
    const inProcess = { ...x, restart: undefined };
    const err = (await runActivity(gatewayActivities.restartGateway, t(inProcess), info.targetVersion).catch(
      (e: unknown) => e,
    )) as Failure;
    expect(err).toBeInstanceOf(Error);
    expect(['CheckFailedError', 'TransientError']).toContain(err.type);
    const now = await runActivity(gatewayActivities.gatewayStatus, t(x)).catch(() => null);
    expect(now?.version ?? (await startupVersion(gw(x).httpUrl)).version).not.toBe(info.targetVersion);
  });

  it('a supervisor restart replaces the process: the gateway reports the target, with a new boot', async () => {
    const out = await runActivity(gatewayActivities.restartGateway, t(x), info.targetVersion);
    expect(out.after.version).toBe(info.targetVersion);
    expect(out.after.healthy).toBe(true);
    expect(out.after.bootId).not.toBe(out.before.bootId);
    expect((await startupVersion(gw(x).httpUrl)).version).toBe(info.targetVersion);
  });
});

describe('source install: `openclaw update` with the gateway stopped', () => {
  it(
    'a rollout of one gateway with install.type source ends healthy on the target, the update report in its step',
    async () => {
      const started = Date.now();
      // Back on the starting release, with its own copy of the package (see resetGateway's ownCopy).
      await resetGateway(info, x.id, info.fromVersion, { ownCopy: true });
      const raw = bedInventory(info, {
        cluster: 'bed-source',
        backend: info.haproxy.backend,
        gateways: [gw(x)],
        devices: [],
      });
      const inv = InventorySchema.parse({
        ...raw,
        temporal: { ...raw.temporal, taskQueue: 'source' },
        instances: raw.instances.map((i) => ({ ...i, install: { type: 'source' } })),
        policy: { ...raw.policy, drainDeadline: '5s', retries: { maxAttempts: 1, initialInterval: '1s' } },
      });
      const w = await startWorker(info, 'source');
      try {
        const handle = await w.client.workflow.start(
          clusterRollout,
          rolloutStart(
            inv,
            { target: info.targetVersion, startedBy: 'source-test', force: false, searchAttributes: false },
            process.env,
          ),
        );
        const waiting = await pollUntil(
          'the source update to wait for approval (or fail)',
          async () => {
            const slot = (await handle.query(progressQuery)).instances[0];
            return slot?.phase === 'AwaitingApproval' || slot?.phase === 'Failed' ? slot : undefined;
          },
          15 * 60_000,
          2000,
        );
        expect(waiting.failure, `the rollout failed at ${waiting.failure?.step}`).toBeUndefined();
        await handle.executeUpdate(approveRejoinUpdate, { args: [{ instance: x.id, approver: 'alice' }] });
        const report = await handle.result();
        const done = report.instances[0]!;
        expect(done).toMatchObject({
          outcome: 'done',
          versionBefore: info.fromVersion,
          versionAfter: info.targetVersion,
        });
        const ids = done.steps.filter((st) => st.status === 'ok').map((st) => st.id);
        expect(ids.slice(ids.indexOf('doctor'), ids.indexOf('verify-status') + 1)).toEqual([
          'doctor',
          'stop',
          'install',
          'start',
          'verify-status',
        ]);
        const install = done.steps.find((st) => st.id === 'install')!;
        expect(install.step).toContain('(source, gateway stopped)');
        expect(install.detail).toMatch(
          new RegExp(
            `^openclaw update ok \\(npm package\\): ${info.fromVersion} → ${info.targetVersion}, report (\\S+\\.md);`,
          ),
        );
        const reportPath = /, report (\S+\.md);/.exec(install.detail!)![1]!;
        expect(existsSync(reportPath)).toBe(true);
        expect(await installedVersion(gw(x))).toBe(info.targetVersion);
        expect((await startupVersion(gw(x).httpUrl)).version).toBe(info.targetVersion);
        const status = await runActivity(gatewayActivities.gatewayStatus, t(x));
        expect(status).toMatchObject({ healthy: true, version: info.targetVersion });
        console.log(`[source] reset + rollout with openclaw update: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      } finally {
        await w.stop();
      }
    },
    20 * 60_000,
  );
});
