/**
 * Runbook steps 2-3 on real gateways: a staged install (`npm i -g --prefix <root>/versions/<target>`,
 * checked, then `<root>/current` switched to it) followed by a supervisor restart really changes the
 * version the gateway reports; an
 * in-process `openclaw gateway restart` cannot load it (a failed step, never a success); doctor and
 * the channels probe report health. Afterwards the gateway is reset to the starting release, so the
 * shared bed stays one release behind. (`openclaw update`, the source-checkout path, is not run here:
 * on a package install it runs doctor in maintenance mode, which fails or hangs for minutes while the
 * gateway runs; test/unit/install-command.test.ts checks the commands each install type runs.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayActivities } from '../../src/activities/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { startupVersion } from '../../src/activities/openclaw/index.js';
import type { Instance, Inventory } from '../../src/shared/inventory.js';
import type { BedInfo } from '../bed/bed.js';
import { resetGateway, type BedGateway } from '../bed/bed-gateway.js';
import { bed, runActivity } from '../bed/context.js';

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
