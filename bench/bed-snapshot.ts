/**
 * Puts the bed's gateways back where a rollout found them, so a second rollout starts from the same
 * place: before the first, each gateway is stopped for a moment and its state dir and config copied;
 * afterwards each is stopped, given those copies back and put on the from-release again, then started.
 * The state goes back too because the target release migrates it and the from-release refuses a newer
 * schema; the pairings are then exactly as before. The release is the gateway's own copy, not hard links
 * to the template, because the playbook's `npm i -g` writes into it. op-1's identity file goes back too
 * (the device token it was given then), so the held client starts the second run as it did the first.
 */
import { execa } from 'execa';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BedInfo } from '../test/bed/bed.js';
import { putOnRelease, type BedGateway } from '../test/bed/bed-gateway.js';
import { lbServerUp } from '../test/bed/haproxy-config.js';
import { httpOk, waitFor } from '../test/bed/probes.js';
import { Supervisor } from '../test/bed/supervisor.js';

const copy = (from: string, to: string) => execa('cp', ['-a', from, to]);

const OPERATOR_IDENTITY = 'op-1.identity.json';

export async function snapshotGateways(info: BedInfo, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copy(join(info.dir, 'clients', OPERATOR_IDENTITY), join(dir, OPERATOR_IDENTITY));
  await Promise.all(
    info.gateways.map((g) =>
      whileStopped(info, g, async () => {
        const at = join(dir, g.id);
        await rm(at, { recursive: true, force: true });
        await mkdir(at, { recursive: true });
        await copy(g.stateDir, join(at, 'state'));
        await copy(g.configPath, join(at, 'openclaw.json'));
      }),
    ),
  );
}

export async function restoreGateways(info: BedInfo, dir: string): Promise<void> {
  await copy(join(dir, OPERATOR_IDENTITY), join(info.dir, 'clients', OPERATOR_IDENTITY));
  await Promise.all(
    info.gateways.map((g) =>
      whileStopped(info, g, async () => {
        await rm(g.stateDir, { recursive: true, force: true });
        await copy(join(dir, g.id, 'state'), g.stateDir);
        await copy(join(dir, g.id, 'openclaw.json'), g.configPath);
        await putOnRelease(g.root, info.fromVersion, { ownCopy: true });
      }),
    ),
  );
}

/** Stops the gateway, runs `work`, starts it and waits until it is ready and UP in HAProxy. */
async function whileStopped(info: BedInfo, g: BedGateway, work: () => Promise<void>): Promise<void> {
  const sup = new Supervisor(info.dir);
  await sup.ctl('stop', g.id);
  try {
    await work();
  } finally {
    await sup.ctl('start', g.id);
  }
  await waitFor(`${g.id} /readyz`, () => httpOk(`${g.httpUrl}/readyz`), 180_000);
  await waitFor(`HAProxy to see ${g.lbServer} UP`, () => lbServerUp(info.haproxy.socket, g.lbServer), 60_000);
}
