/**
 * The demo (see scripts/demo.sh): a real rollout on the local bed. Three gateways one release behind
 * the target, a client device that hits `device token mismatch`, the rollout updating all three with
 * an approval per instance (sent from the CLI after showing where the Web UI would take it), ending
 * with the device connected again and no mismatch in the logs.
 */
import * as oc from '../src/activities/openclaw/index.js';
import { connectClient, run as starter } from '../src/starter.js';
import { rolloutWorkflowId } from '../src/shared/ids.js';
import { createWorker } from '../src/worker.js';
import { progressQuery } from '../src/shared/messages/rollout.js';
import { loadInventory } from '../src/inventory-file.js';
import { randomBytes } from 'node:crypto';
import { KEY_FILE_ENV, KEYS_ENV } from '../src/codec/keys.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startBed, stopBed } from '../test/bed/bed.js';
import { sleep } from '../test/bed/probes.js';
import { gatewayAccess, pairBedClients, routeUrl, sharedToken } from '../test/bed/clients.js';
import { bedHealth } from '../test/bed/health.js';
import { clientIdentity } from '../test/bed/context.js';
import { HeldConnection, connectOnce } from '../test/bed/ws-client.js';

const keep = process.argv.includes('--keep');
// The demo narrates; the worker only speaks up for warnings (approval timeouts) and errors.
Runtime.install({ logger: new DefaultLogger('WARN') });
const step = (s: string) => console.log(`\n== ${s}`);

// Payloads are encrypted in the demo: with the operator's keys if set, else a throwaway demo key. The bed
// then runs the codec server and points the Web UI at it.
if (!process.env[KEYS_ENV] && !process.env[KEY_FILE_ENV])
  process.env[KEYS_ENV] = `demo:${randomBytes(32).toString('base64')}`;

step('starting the local cluster (Temporal dev server + Web UI + codec server, 3 gateways under supervisor, HAProxy)');
const info = await startBed();
console.log(
  `  payloads are AES-GCM encrypted in Temporal; the Web UI decrypts them through the codec server ${info.temporal.codecEndpoint}`,
);
let exitCode = 0;
try {
  step('pairing client devices through HAProxy (pending request → openclaw devices approve)');
  const devices = await pairBedClients(info);
  for (const d of devices)
    console.log(`  ${d.name}: ${d.role} device ${d.deviceId.slice(0, 12)}… paired on ${d.instance}`);
  console.log(await bedHealth(info));

  step('the failure: client op-1 reaches a gateway whose pairing store does not know its token');
  const op = devices.find((d) => d.name === 'op-1')!;
  const other = info.gateways.find((g) => g.id !== op.instance)!;
  const identity = await clientIdentity(info, 'op-1');
  const stray = await connectOnce({
    url: other.wsUrl,
    identity,
    role: 'operator',
    scopes: op.scopes,
    auth: { deviceToken: identity.getDeviceToken(routeUrl(info, 'op-1'), 'operator')!.token },
  });
  if (stray.kind === 'closed') console.log(`  op-1 sees: disconnected (${stray.code}): ${stray.reason}`);
  // From here op-1 behaves like a real client: connected through HAProxy, re-authenticating with shared auth.
  const client = new HeldConnection({
    url: routeUrl(info, 'op-1'),
    identity,
    role: 'operator',
    scopes: op.scopes,
    sharedToken: await sharedToken(info),
  });
  await client.start();

  step(`rolling out ${info.targetVersion} (worker + starter)`);
  const { worker, connection: workerConnection } = await createWorker({ inventoryPath: info.inventoryPath });
  const running = worker.run();
  // The starter's own client: same connection settings and payload codec as the product (the demo's
  // payloads are encrypted, so a plain client could not read the progress query).
  const { client: temporal, connection } = await connectClient(await loadInventory(info.inventoryPath));
  try {
    await starter(['start', '--inventory', info.inventoryPath, '--target', info.targetVersion, '--by', 'demo']);
    const handle = temporal.workflow.getHandle(rolloutWorkflowId('bed'));
    const approved = new Set<string>();
    for (;;) {
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') break;
      const progress = await handle.query(progressQuery);
      for (const i of progress.instances.filter((x) => x.phase === 'AwaitingApproval' && !approved.has(x.instance))) {
        console.log(`\n  ${i.instance} is drained, on ${i.versionAfter}, verified, and waits for approval.`);
        console.log(
          `  In the Web UI: ${info.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`${progress.rolloutId}/${i.instance}`)} → Send a Signal → approveRejoin`,
        );
        console.log('  The demo approves from the CLI instead:');
        await starter([
          'approve',
          '--inventory',
          info.inventoryPath,
          '--instance',
          i.instance,
          '--approver',
          'demo-approver',
          '--comment',
          'demo approval',
        ]);
        approved.add(i.instance);
      }
      await sleep(3000);
    }
    await starter(['status', '--inventory', info.inventoryPath]);
    const report = (await handle.result()) as { outcome: string };
    console.log(`\n  rollout ended: ${report.outcome}`);
    if (report.outcome !== 'done') exitCode = 1;
  } catch (err) {
    console.error(`  rollout failed: ${(err as Error).message}`);
    exitCode = 1;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await workerConnection.close();
  }

  step('after the rollout');
  console.log(await bedHealth(info));
  const since = Date.now();
  await sleep(10_000);
  const home = info.gateways.find((g) => g.id === op.instance)!;
  const counted = await oc.countTokenMismatches(gatewayAccess(home), { sinceMs: since }, { timeoutMs: 60_000 });
  console.log(
    `  op-1 connected: ${client.connected}; device token mismatch on ${home.id} over the last 10 s: ${counted.count}`,
  );
  await client.stop();
} finally {
  if (keep) {
    console.log(
      `\nbed left running (--keep): ${info.dir}; Web UI ${info.temporal.uiUrl}; stop it with: npm run bed -- down`,
    );
    console.log(
      `its payload key: export ${KEY_FILE_ENV}=${info.temporal.codecKeyFile} (for npm run starter / worker against it)`,
    );
  } else {
    step('stopping the local cluster');
    await stopBed(info.dir);
  }
}
process.exit(exitCode);
