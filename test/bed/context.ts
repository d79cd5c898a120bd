/** What an e2e test needs from the shared bed: its description, inventory, and a worker on it. */
import { Worker, NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import { loadPayloadProtection } from '../../src/codec/data-converter.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { loadInventory } from '../../src/inventory-file.js';
import { defaultBedDir, readBedInfo, type BedInfo } from './bed.js';

/** How a test's own connection reaches the bed's Temporal: plain, or mTLS on the production bed. */
export function bedConnectionOptions(info: BedInfo): { address: string; tls?: TLSConfig } {
  const t = info.temporal.tls;
  if (!t) return { address: info.temporal.address };
  return {
    address: info.temporal.address,
    tls: {
      serverNameOverride: t.serverName,
      serverRootCACertificate: readFileSync(t.caFile),
      clientCertPair: { crt: readFileSync(t.certFile), key: readFileSync(t.keyFile) },
    },
  };
}

export async function bed(): Promise<{ info: BedInfo; inventory: Inventory }> {
  const info = await readBedInfo(defaultBedDir());
  return { info, inventory: await loadInventory(info.inventoryPath) };
}

/**
 * A real worker (real activities, bundled workflows) on the bed's dev server, plus a client; both encrypt
 * payloads like the product's when codec keys are configured.
 */
export async function startWorker(
  info: BedInfo,
  taskQueue: string,
  opts: { activitiesOnly?: boolean; record?: (activity: string, args: unknown[]) => void } = {},
) {
  const { dataConverter } = await loadPayloadProtection();
  const nativeConnection = await NativeConnection.connect(bedConnectionOptions(info));
  const activities = Object.fromEntries(
    Object.entries(createActivities()).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        opts.record?.(name, args);
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: info.temporal.namespace,
    taskQueue,
    activities,
    dataConverter,
    ...(opts.activitiesOnly ? {} : { workflowBundle: { codePath: join(info.dir, 'workflow-bundle.js') } }),
  });
  const running = worker.run();
  const connection = await Connection.connect(bedConnectionOptions(info));
  const client = new Client({ connection, namespace: info.temporal.namespace, dataConverter });
  return {
    worker,
    client,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}

import { MockActivityEnvironment } from '@temporalio/testing';
import { DeviceIdentity } from './ws-client.js';
import type { Device, Instance } from '../../src/shared/inventory.js';

/** Runs one real activity (the Temporal wrapper, with its context, heartbeats and error mapping). */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment().run(fn, ...args);
}

/** The inventory device named `name` and its instance. */
export function deviceNamed(inventory: Inventory, name: string): { instance: Instance; device: Device } {
  for (const instance of inventory.instances) {
    const device = instance.devices.find((d) => d.name === name);
    if (device) return { instance, device };
  }
  throw new Error(`bed inventory has no device named ${name}`);
}

/** The bed's test-client identity `name` (holds its device tokens, like a real client). */
export function clientIdentity(info: BedInfo, name: string): Promise<DeviceIdentity> {
  return DeviceIdentity.loadOrCreate(join(info.dir, 'clients', `${name}.identity.json`));
}
