/**
 * The demo's steps (see scripts/demo.sh). What it shows grows with the project: for now the bed, its
 * health, the preflight through Temporal, and the failure this tool exists for.
 */
import * as oc from '../src/activities/openclaw.js';
import { run as starter } from '../src/starter.js';
import { createWorker } from '../src/worker.js';
import { startBed, stopBed } from '../test/bed/bed.js';
import { gatewayAccess, pairBedClients, routeUrl } from '../test/bed/clients.js';
import { bedHealth } from '../test/bed/health.js';
import { clientIdentity } from '../test/bed/context.js';
import { connectOnce } from '../test/bed/ws-client.js';

const keep = process.argv.includes('--keep');
const step = (s: string) => console.log(`\n== ${s}`);

step('starting the local cluster (Temporal dev server, 3 gateways under supervisor, HAProxy)');
const info = await startBed();
try {
  step('pairing client devices through HAProxy (pending request → openclaw devices approve)');
  const devices = await pairBedClients(info);
  for (const d of devices) console.log(`  ${d.name}: ${d.role} device ${d.deviceId.slice(0, 12)}… paired on ${d.instance}`);
  step('cluster health');
  console.log(await bedHealth(info));

  step('preflight (runbook "Before you start") through a Temporal worker');
  const { worker, connection } = await createWorker({ inventoryPath: info.inventoryPath });
  const running = worker.run();
  try {
    await starter(['preflight', '--inventory', info.inventoryPath]);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
  console.log(`  Temporal Web UI: ${info.temporal.uiUrl} (workflow ids start with "bed/preflight/")`);

  step('reproducing the failure: a device token from one gateway presented to another');
  const op = devices.find((d) => d.name === 'op-1')!;
  const other = info.gateways.find((g) => g.id !== op.instance)!;
  const identity = await clientIdentity(info, 'op-1');
  const since = Date.now() - 1000;
  const out = await connectOnce({ url: other.wsUrl, identity, role: 'operator', scopes: op.scopes, auth: { deviceToken: identity.getDeviceToken(routeUrl(info, 'op-1'), 'operator')!.token } });
  if (out.kind === 'closed') console.log(`  client sees: disconnected (${out.code}): ${out.reason}`);
  const counted = await oc.countTokenMismatches(gatewayAccess(other), { sinceMs: since }, { timeoutMs: 60_000 });
  console.log(`  ${other.id} logged ${counted.count} device token mismatch refusal(s)`);
} finally {
  if (keep) console.log(`\nbed left running (--keep): ${info.dir}; stop it with: npm run bed -- down`);
  else {
    step('stopping the local cluster');
    await stopBed(info.dir);
  }
}
