/** What every benchmark section shares: the run directory, the dev server, a client and the workflow bundle. */
import { loadPayloadProtection } from '../src/codec/data-converter.js';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietLogger } from '../test/helpers/quiet-logger.js';
import { startDevServer, type DevServer } from './dev-server.js';

export interface BenchContext {
  dir: string;
  server: DevServer;
  client: Client;
  bundlePath: string;
  /** A fresh name per run (task queue and cluster), so runs never see each other's workflows. */
  nextName(label: string): string;
  close(): Promise<void>;
}

export async function openContext(dir: string): Promise<BenchContext> {
  const server = await startDevServer(dir);
  const connection = await Connection.connect({ address: server.address });
  // The product's data converter (large payloads compressed; no keys in the bench).
  const { dataConverter } = await loadPayloadProtection({});
  const client = new Client({ connection, namespace: 'default', dataConverter });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: quietLogger,
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  let n = 0;
  return {
    dir,
    server,
    client,
    bundlePath,
    nextName: (label) => `bench-${label}-${++n}`,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}
