// Payload encryption end to end, on a dev server of its own (not the bed's): the worker and the starter's
// client, built by our connection code with a key configured, run a workflow whose input carries a
// planted secret. The client gets it back in clear; the history Temporal stores (exported as an operator
// would, `temporal workflow show --output json`) does not contain it, nor an activity's failure message;
// the codec server, asked as the Web UI asks, decrypts it, and so does the stock `temporal` CLI (workflow show,
// query, describe) pointed at it; a client without the key cannot read it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_ENV } from '../../src/codec/keys.js';
import { loadInventory } from '../../src/inventory-file.js';
import { connectClient } from '../../src/starter.js';
import { createWorker } from '../../src/worker.js';
import { freePort } from '../bed/ports.js';
import { projectRoot } from '../bed/tools.js';
import { echoActivities } from '../fixtures/workflows/echo-activities.js';
import { startDevServer, temporalCli, type TestServer } from '../helpers/temporal-server.js';

const SECRET = `planted-${randomBytes(6).toString('hex')}`;
const FAILURE_SECRET = `failure-${randomBytes(6).toString('hex')}`;
const KEYS = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
const TASK_QUEUE = 'codec-e2e';
const echoWorkflowsPath = join(projectRoot, 'test/fixtures/workflows/echo.ts');

/** Every string in an exported history, plus what its base64-looking strings decode to. */
function historyTexts(json: string): string {
  const decoded = [...json.matchAll(/"([A-Za-z0-9+/]{12,}={0,2})"/g)].map((m) =>
    Buffer.from(m[1]!, 'base64').toString('latin1'),
  );
  return [json, ...decoded].join('\n');
}

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

function startedInput(historyJson: string): JsonPayload {
  const history = JSON.parse(historyJson) as {
    events: { workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }[];
  };
  return history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
}

describe('payload codec on a real Temporal server', () => {
  let server: TestServer;
  let dir: string;
  let worker: Worker;
  let running: Promise<void>;
  let closeWorker: () => Promise<void>;
  let client: Client;
  let closeClient: () => Promise<void>;
  let codecServer: ChildProcess | undefined;
  const uiPort = freePort();
  const codecPort = freePort();

  beforeAll(async () => {
    server = await startDevServer({ uiPort: await uiPort, uiCodecEndpoint: `http://127.0.0.1:${await codecPort}` });
    dir = await mkdtemp(join(tmpdir(), 'codec-e2e-'));
    const inventoryPath = join(dir, 'cluster.yaml');
    await writeFile(
      inventoryPath,
      `cluster: codec-e2e\ntemporal: { address: "${server.address}", namespace: default, taskQueue: ${TASK_QUEUE} }\n` +
        'loadBalancer: { type: none }\ninstances:\n  - { id: gw-1, gateway: { stateDir: /nonexistent }, lbServer: gw1, install: { type: global } }\n',
    );
    process.env[KEYS_ENV] = KEYS;
    const created = await createWorker({
      inventoryPath,
      overrides: { workflowsPath: echoWorkflowsPath, activities: echoActivities },
    });
    worker = created.worker;
    running = worker.run();
    closeWorker = async () => {
      worker.shutdown();
      await running;
      await created.connection.close();
    };
    const connected = await connectClient(await loadInventory(inventoryPath));
    client = connected.client;
    closeClient = () => connected.connection.close();
  });

  afterAll(async () => {
    delete process.env[KEYS_ENV];
    codecServer?.kill('SIGTERM');
    await closeClient?.();
    await closeWorker?.();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const show = (workflowId: string, ...extra: string[]) =>
    temporalCli([
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      server.address,
      '--output',
      'json',
      ...extra,
    ]);

  it('the client reads the result in clear; the stored history holds only ciphertext and the key id', async () => {
    const result = await client.workflow.execute('echo', {
      taskQueue: TASK_QUEUE,
      workflowId: 'codec-echo',
      args: [{ note: SECRET }],
    });
    expect(result).toEqual({ echoed: `echo: ${SECRET}` });
    const history = await show('codec-echo');
    expect(historyTexts(history)).not.toContain(SECRET);
    const input = startedInput(history);
    expect(Buffer.from(input.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.metadata['encryption-key-id']!, 'base64').toString()).toBe('k2');
  });

  it("an activity's failure message reaches the client but is not stored in clear", async () => {
    const err = await client.workflow
      .execute('echoFails', { taskQueue: TASK_QUEUE, workflowId: 'codec-fail', args: [{ note: FAILURE_SECRET }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
    expect(messages.join(' | ')).toContain(`refused: ${FAILURE_SECRET}`);
    const history = await show('codec-fail');
    expect(historyTexts(history)).not.toContain(FAILURE_SECRET);
    expect(historyTexts(history)).toContain('Encoded failure');
  });

  it('the codec server decrypts for the Web UI and the CLI, and the dev server UI is pointed at it', async () => {
    const port = await codecPort;
    const origin = `http://127.0.0.1:${await uiPort}`;
    codecServer = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/starter.ts', 'codec-server', '--port', String(port), '--ui-origin', origin],
      {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, [KEYS_ENV]: KEYS },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    codecServer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    codecServer.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 100 && !out.includes('codec server on'); i++) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain(`codec server on http://127.0.0.1:${port} (keys k2, k1;`);
    expect(out).not.toContain(KEYS.split(',')[0]!.slice(3));

    // What the UI does: POST the payloads it shows to /decode, with its origin and namespace.
    const res = await fetch(`http://127.0.0.1:${port}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin, 'X-Namespace': 'default' },
      body: JSON.stringify({ payloads: [startedInput(await show('codec-echo'))] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const [decoded] = ((await res.json()) as { payloads: JsonPayload[] }).payloads;
    expect(JSON.parse(Buffer.from(decoded!.data, 'base64').toString())).toEqual({ note: SECRET });

    // Temporal's own codec client (the CLI) through our server: the history reads in clear.
    const viaCli = await show('codec-echo', '--codec-endpoint', `http://127.0.0.1:${port}`);
    expect(Buffer.from(startedInput(viaCli).metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(historyTexts(viaCli)).toContain(SECRET);
    expect(historyTexts(await show('codec-fail', '--codec-endpoint', `http://127.0.0.1:${port}`))).toContain(
      `refused: ${FAILURE_SECRET}`,
    );

    // The dev server's UI was started with --ui-codec-endpoint: its settings name our server.
    const settings = (await (await fetch(`${origin}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    expect(settings.Codec?.Endpoint).toBe(`http://127.0.0.1:${port}`);
  });

  // Needs the codec server the test above started.
  it('the stock temporal CLI shows, queries and describes through the codec server, in clear', async () => {
    const endpoint = `http://127.0.0.1:${await codecPort}`;
    const viaCodec = (...args: string[]) =>
      temporalCli([
        'workflow',
        ...args,
        '--workflow-id',
        'codec-echo',
        '--address',
        server.address,
        '--codec-endpoint',
        endpoint,
      ]);
    expect(await viaCodec('show')).toContain(`echo: ${SECRET}`);
    // A query without arguments: the CLI posts its (empty) arguments to /encode as {}.
    expect(await viaCodec('query', '--type', 'note')).toContain(SECRET);
    expect(await viaCodec('describe')).toContain(`echo: ${SECRET}`);
    // Control: without the codec server the same commands show ciphertext only.
    const plain = (...args: string[]) =>
      temporalCli(['workflow', ...args, '--workflow-id', 'codec-echo', '--address', server.address]);
    expect(historyTexts(await plain('query', '--type', 'note'))).not.toContain(SECRET);
    expect(historyTexts(await plain('describe'))).not.toContain(SECRET);
  });

  it('a client without the key sends plain input the worker still accepts, and cannot read the encrypted result', async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      const keyless = new Client({ connection, namespace: 'default' });
      const handle = await keyless.workflow.start('echo', {
        taskQueue: TASK_QUEUE,
        workflowId: 'codec-keyless',
        args: [{ note: SECRET }],
      });
      await expect(handle.result()).rejects.toThrow(/binary\/encrypted/);
      // Control for the scan above: plain input is found by it.
      expect(historyTexts(await show('codec-keyless'))).toContain(SECRET);
      expect(await client.workflow.getHandle('codec-keyless').result()).toEqual({ echoed: `echo: ${SECRET}` });
    } finally {
      await connection.close();
    }
  });
});
