// The production connection path: a real Temporal server (the same server release the CLI embeds, built
// by scripts/setup.sh, because `temporal server start-dev` has no TLS options) serving TLS with client
// certificates required, and a throwaway CA made with openssl. The worker (createWorker) and the
// starter's client (connectClient), configured only through the inventory's temporal.tls block, run a
// real workflow over mTLS; a wrong CA, a wrong server name, a plaintext client and a missing client
// certificate are refused with a ConfigurationError that names the cause and the setting to fix. Env overrides (TEMPORAL_TLS_*) are used too.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/shared/errors.js';
import { loadInventory } from '../../src/inventory-file.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { connectClient } from '../../src/starter.js';
import { createWorker } from '../../src/worker.js';
import { projectRoot } from '../bed/tools.js';
import { echoActivities } from '../fixtures/workflows/echo-activities.js';
import { makeTestPki, startTlsServer, type TestPki, type TestServer } from '../helpers/temporal-server.js';

const TASK_QUEUE = 'tls-e2e';
const ENV_KEYS = ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_SERVER_NAME'];

describe('TLS connection to a real Temporal server (mTLS)', () => {
  let dir: string;
  let pki: TestPki;
  let server: TestServer;

  const writeInventory = async (name: string, tls: string | undefined): Promise<string> => {
    const path = join(dir, `${name}.yaml`);
    await writeFile(
      path,
      `cluster: tls-e2e\ntemporal:\n  address: "${server.address}"\n  taskQueue: ${TASK_QUEUE}\n${tls ? `  tls: ${tls}\n` : ''}` +
        'loadBalancer: { type: none }\ninstances:\n  - { id: gw-1, gateway: { stateDir: /nonexistent }, lbServer: gw1, install: { type: global } }\n',
    );
    return path;
  };
  const refusal = (inventory: Inventory) =>
    connectClient(inventory).then(
      async ({ connection }) => {
        await connection.close();
        return undefined;
      },
      (e: unknown) => e as Error,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tls-e2e-'));
    pki = await makeTestPki(dir);
    server = await startTlsServer(pki);
  });
  afterEach(() => {
    for (const k of ENV_KEYS) delete process.env[k];
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('worker and starter client connect with the CA and a client certificate, and run a workflow', async () => {
    const inventoryPath = await writeInventory(
      'mtls',
      `{ caFile: "${pki.ca}", certFile: "${pki.clientCert}", keyFile: "${pki.clientKey}", serverName: localhost }`,
    );
    const { worker, connection } = await createWorker({
      inventoryPath,
      overrides: { workflowsPath: join(projectRoot, 'test/fixtures/workflows/echo.ts'), activities: echoActivities },
    });
    const { client, connection: clientConnection } = await connectClient(await loadInventory(inventoryPath));
    try {
      const result = await worker.runUntil(
        client.workflow.execute('echo', {
          taskQueue: TASK_QUEUE,
          workflowId: 'tls-echo',
          args: [{ note: 'over mTLS' }],
        }),
      );
      expect(result).toEqual({ echoed: 'echo: over mTLS' });
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  });

  it('the TEMPORAL_TLS_* variables alone configure the same connection', async () => {
    Object.assign(process.env, {
      TEMPORAL_TLS_CA: pki.ca,
      TEMPORAL_TLS_CERT: pki.clientCert,
      TEMPORAL_TLS_KEY: pki.clientKey,
    });
    const { client, connection } = await connectClient(
      await loadInventory(await writeInventory('env-only', undefined)),
    );
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^1\.32\./);
    } finally {
      await connection.close();
    }
  });

  it('a CA that did not sign the server certificate is refused, naming the CA file to fix', async () => {
    const inventory = await loadInventory(
      await writeInventory(
        'wrong-ca',
        `{ caFile: "${pki.otherCa}", certFile: "${pki.clientCert}", keyFile: "${pki.clientKey}" }`,
      ),
    );
    const err = await refusal(inventory);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.message).toContain(`cannot reach Temporal at ${server.address}`);
    expect(err!.message).toContain(`the server's certificate is not signed by the CA in ${pki.otherCa}`);
    expect(err!.message).toContain('set TEMPORAL_TLS_CA / temporal.tls.caFile to the CA that signed it');

    // The worker says the same.
    const workerErr = await createWorker({
      inventoryPath: await writeInventory('wrong-ca-worker', `{ caFile: "${pki.otherCa}" }`),
      host: 'h1',
    }).then(
      async ({ connection }) => {
        await connection.close();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(workerErr).toBeInstanceOf(ConfigurationError);
    expect(workerErr!.message).toContain(`the server's certificate is not signed by the CA in ${pki.otherCa}`);
  });

  it('a server name the certificate does not hold is refused, naming TEMPORAL_TLS_SERVER_NAME', async () => {
    const err = await refusal(
      await loadInventory(
        await writeInventory(
          'wrong-name',
          `{ caFile: "${pki.ca}", certFile: "${pki.clientCert}", keyFile: "${pki.clientKey}", serverName: temporal.example }`,
        ),
      ),
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.message).toContain(
      "the server's certificate does not name temporal.example: set TEMPORAL_TLS_SERVER_NAME",
    );
  });

  it('a plaintext client is refused with a hint to configure TLS', async () => {
    const err = await refusal(await loadInventory(await writeInventory('plain', undefined)));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.message).toContain(
      'the server speaks TLS but this client does not use it: set TEMPORAL_TLS_CA (temporal.tls.caFile)',
    );
  });

  it('without a client certificate the server refuses, and the message names the client certificate settings', async () => {
    const err = await refusal(
      await loadInventory(await writeInventory('no-client-cert', `{ caFile: "${pki.ca}", serverName: localhost }`)),
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err!.message).toContain('the server requires a client certificate');
    expect(err!.message).toContain('set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
  });
});
