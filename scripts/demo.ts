/**
 * The demo (see scripts/demo.sh): a real rollout on the local bed. Three gateways one release behind
 * the target, a client device that hits `device token mismatch`, the rollout updating all three with
 * an approval per instance (sent from the CLI after showing where the Web UI would take it), ending
 * with the device connected again and no mismatch in the logs. The rollout is driven by
 * test/bed/rollout-driver.ts, which test/e2e/05-rollout.test.ts runs too: it prints the status table
 * each time it changes; the demo closes with the time each instance was out of traffic.
 */
import * as oc from '../src/activities/openclaw/index.js';
import { connectClient } from '../src/starter.js';
import { createWorker } from '../src/worker.js';
import type { RolloutProgress } from '../src/shared/messages/rollout.js';
import { loadInventory } from '../src/inventory-file.js';
import { durationText, outOfTrafficSummary } from '../src/cli/views/out-of-traffic-view.js';
import { randomBytes } from 'node:crypto';
import { KEY_FILE_ENV, KEYS_ENV } from '../src/codec/keys.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { bedDirFromEnv, startBed, stopBed } from '../test/bed/bed.js';
import { sleep } from '../test/bed/probes.js';
import { gatewayAccess, pairBedClients, routeUrl, sharedToken } from '../test/bed/clients.js';
import { bedHealth } from '../test/bed/health.js';
import { clientIdentity } from '../test/bed/context.js';
import { driveRollout } from '../test/bed/rollout-driver.js';
import { starterCli } from '../test/bed/starter.js';
import { HeldConnection, connectOnce } from '../test/bed/ws-client.js';

const keep = process.argv.includes('--keep');
// Its own bed directory, so the demo never replaces the e2e tests' bed (.bed/current) of the same checkout.
const bedDir = bedDirFromEnv('demo');
// The demo narrates; the worker only speaks up for warnings (approval timeouts) and errors.
Runtime.install({ logger: new DefaultLogger('WARN') });
const step = (s: string) => console.log(`\n== ${s}`);
const indent = (text: string) => text.replace(/^/gm, '  ');
/** Runs a CLI command in-process and prints what it printed, as if typed. */
const printed = async (...args: string[]) => {
  const r = await starterCli(...args);
  console.log(indent(`$ npm run starter -- ${args.join(' ')}\n${r.out}`));
  return r;
};

/** What the operator would do at the approval gate: where the Web UI takes them; the demo then approves from the CLI. */
function explainApproval(uiUrl: string, instance: string, progress: RolloutProgress) {
  const slot = progress.instances.find((i) => i.instance === instance);
  const ui = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(`${progress.rolloutId}/${instance}`)}`;
  console.log(`\n  ${instance} is drained, on ${slot?.versionAfter}, verified, and waits for approval.`);
  console.log(`  In the Web UI: ${ui} → Send a Signal → approveRejoin`);
  console.log('  The demo approves from the CLI instead:');
}

// Payloads are encrypted in the demo: with the operator's keys if set, else a throwaway demo key. The bed
// then runs the codec server and points the Web UI at it.
if (!process.env[KEYS_ENV] && !process.env[KEY_FILE_ENV])
  process.env[KEYS_ENV] = `demo:${randomBytes(32).toString('base64')}`;

step('starting the local cluster (Temporal dev server + Web UI + codec server, 3 gateways under supervisor, HAProxy)');
const info = await startBed({ dir: bedDir }).catch((err: Error) => {
  // startBed stopped the bed and says why, in the failing gateway's own words.
  console.error(`  the local cluster did not start: ${err.message}`);
  process.exit(1);
});
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

  step(`rolling out ${info.targetVersion} (worker + starter; the status table is printed each time it changes)`);
  const { worker, connection: workerConnection } = await createWorker({ inventoryPath: info.inventoryPath });
  const running = worker.run();
  // The starter's own client: same connection settings and payload codec as the product (the demo's
  // payloads are encrypted, so a plain client could not read the progress query).
  const inventory = await loadInventory(info.inventoryPath);
  const { client: temporal, connection } = await connectClient(inventory);
  try {
    const startedAt = Date.now();
    const driven = await driveRollout({
      client: temporal,
      inventory,
      inventoryPath: info.inventoryPath,
      target: info.targetVersion,
      startedBy: 'demo',
      approver: 'demo-approver',
      comment: 'demo approval',
      cli: printed,
      onWatch: (table) => console.log(`\n${indent(table)}`),
      hooks: { beforeApprove: (instance, progress) => explainApproval(info.temporal.uiUrl, instance.id, progress) },
    });
    step(`rollout ended: ${driven.report.outcome} after ${durationText(Date.now() - startedAt)}`);
    console.log('  time each instance was out of traffic, from its drain to its rejoin:');
    console.log(indent(outOfTrafficSummary(driven.report.instances)));
    if (driven.report.outcome !== 'done') exitCode = 1;
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
      `\nbed left running (--keep): ${info.dir}; Web UI ${info.temporal.uiUrl}; stop it with: OPENCLAW_ROLLOUT_BED_DIR=${info.dir} npm run bed -- down`,
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
