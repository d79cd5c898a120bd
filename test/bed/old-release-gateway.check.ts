/**
 * Checks by hand that the bed runs the older from-releases (versions.sh OPENCLAW_OLD_FROM_VERSIONS, or
 * the versions given): for each, an extra gateway (extra-gateway.ts) with the config its own schema
 * accepts (release-config.ts) starts, answers /readyz, and a client pairs the way the release supports;
 * `devices list` then shows it paired. Prints the figures; removes each extra gateway again.
 *
 *   source scripts/env.sh
 *   OPENCLAW_ROLLOUT_BED_DIR=/work/bed-old npx tsx test/bed/old-release-gateway.check.ts [--keep-bed] [v...]
 */
import { existsSync } from 'node:fs';
import * as oc from '../../src/activities/openclaw/index.js';
import { defaultBedDir, readBedInfo, startBed, stopBed, type BedInfo } from './bed.js';
import { clientProtocolsFor, gatewayAccess, pairStraightTo } from './clients.js';
import { removeExtraGateway, startExtraGateway } from './extra-gateway.js';
import { httpOk } from './probes.js';
import { oldFromVersions } from './tools.js';

const args = process.argv.slice(2);
const keepBed = args.includes('--keep-bed');
const releases = args.filter((a) => !a.startsWith('--'));
const dir = defaultBedDir();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let info: BedInfo;
let ownBed = false;
if (existsSync(`${dir}/bed.json`) && existsSync(`${dir}/supervisor.sock`)) info = await readBedInfo(dir);
else {
  info = await startBed({ dir, gateways: 1 });
  ownBed = true;
}
try {
  for (const version of releases.length ? releases : oldFromVersions()) {
    const id = `gw-old-${version.replace(/\./g, '-')}`;
    const extra = await startExtraGateway(info, { id, version });
    try {
      const startup = (await (
        await fetch(`${extra.gateway.httpUrl}/startupz`).catch(() => undefined)
      )
        ?.json()
        .catch(() => undefined)) as { version?: string } | undefined;
      const ready = await httpOk(`${extra.gateway.httpUrl}/readyz`);
      const protocols = await clientProtocolsFor(info, extra.gateway);
      const started = Date.now();
      const client = await pairStraightTo(info, extra.gateway, `${id}-client`, process.platform, protocols);
      const pairMs = Date.now() - started;
      const list = await oc.devicesList(gatewayAccess(extra.gateway), { timeoutMs: 60_000 });
      const paired = list.paired.some((d) => d.deviceId === client.deviceId);
      console.log(
        `[check] ${version}: ready in ${secs(extra.readyMs)}, /readyz ${ready ? 'ok' : 'NOT ok'}, /startupz ` +
          `version ${startup?.version ?? '(none)'}; client protocols ${protocols ? `${protocols.min}-${protocols.max}` : '4'}; pairing ${extra.gateway.pairing} in ${secs(pairMs)}, ` +
          `devices list: ${paired ? 'paired' : 'NOT paired'} (${list.paired.length} paired, ${list.pending.length} pending)`,
      );
      if (!ready || !paired) process.exitCode = 1;
    } finally {
      await removeExtraGateway(info, id);
    }
  }
} finally {
  if (ownBed && !keepBed) await stopBed(dir);
}
