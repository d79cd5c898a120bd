/**
 * The installed command (issue 16): the project packed and installed the way an operator does it
 * (`npm pack`, `npm i -g` into a fresh prefix), then run from that prefix, outside the checkout, against
 * the bed: --help, --version, validate, the codec server, a worker that bundles the compiled workflows at
 * start (with --metrics: the SDK's and the fleet gauges on its /metrics), preflight through that worker, and status (after 05-rollout: the rollout's progress, which the
 * installed worker answers by replaying the rollout's history in its own bundle). Read-only on the bed.
 * Cost: ~40 s on 2 cores (pack with its build ~8 s, install from the npm cache ~11-15 s, worker start
 * with its bundle ~5 s, preflight ~11 s).
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, realpath, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPayloadProtection } from '../../src/codec/data-converter.js';
import { KEYS_ENV, KEY_FILE_ENV } from '../../src/codec/keys.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { RolloutProgress } from '../../src/shared/messages/rollout.js';
import type { PreflightReport } from '../../src/workflows/preflight.js';
import type { BedInfo } from '../bed/bed.js';
import { bed } from '../bed/context.js';
import { sleep } from '../bed/probes.js';
import { freePort } from '../bed/ports.js';
import { pollUntil } from '../bed/wait.js';
import { projectRoot } from '../bed/tools.js';
import { packAndInstall, type InstalledPackage } from '../helpers/installed-package.js';

let info: BedInfo;
let inventory: Inventory;
let pkg: InstalledPackage;
let dir: string;

/** Runs the installed command from outside the checkout; never throws. */
const installed = (...args: string[]) =>
  execa(pkg.bin, args, { cwd: dir, env: { PATH: pkg.path, NO_COLOR: '1' }, reject: false, all: true });

beforeAll(async () => {
  ({ info, inventory } = await bed());
  dir = await mkdtemp(join(tmpdir(), 'openclaw-rollout-installed-'));
  pkg = await packAndInstall(dir);
  console.log(`installed command: pack ${pkg.packSeconds} s, install ${pkg.installSeconds} s`);
});

describe('the installed command', () => {
  it('is the packed build, linked into the prefix, not the checkout', async () => {
    const target = await realpath(pkg.bin);
    expect(target).toBe(join(dir, 'prefix/lib/node_modules/openclaw-rollout/dist/bin.js'));
    expect(target.startsWith(projectRoot)).toBe(false);
  });

  it('--version prints the version of package.json; --help lists the commands with its own name', async () => {
    const { version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    const v = await installed('--version');
    expect([v.exitCode, v.stdout]).toEqual([0, version]);
    const help = await installed('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: openclaw-rollout <command> --inventory <cluster.yaml>');
    for (const name of ['worker', 'codec-server', 'validate', 'start', 'status', 'approve'])
      expect(help.stdout).toContain(`\n  ${name} `);
  });

  it("validates the bed's inventory, and refuses a broken one naming the field (exit 2)", async () => {
    const ok = await installed('validate', '--inventory', info.inventoryPath);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.stdout).toContain(`inventory ok: cluster ${inventory.cluster}, ${inventory.instances.length} instances`);
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, `cluster: ${inventory.cluster}\n`);
    const refused = await installed('validate', '--inventory', broken);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`error: inventory ${broken} is invalid:\n  - loadBalancer:`);
  });
});

describe('the codec server of the installed command', () => {
  it('encrypts and decrypts a payload with the given key, and stops on SIGTERM (exit 0)', async () => {
    const server = execa(pkg.bin, ['codec-server', '--port', '0'], {
      cwd: dir,
      env: { PATH: pkg.path, [KEYS_ENV]: `k1:${randomBytes(32).toString('base64')}`, [KEY_FILE_ENV]: '' },
      all: true,
      reject: false,
    });
    let out = '';
    server.all.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 100 && !/codec server on (\S+) /.test(out); i++) await sleep(100);
    const url = /codec server on (\S+) /.exec(out)?.[1];
    expect(url, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'ImhlbGxvIg==' };
    const call = async (path: string, body: unknown) =>
      (await (await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
    const encoded = await call('/encode', { payloads: [plain] });
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect((await call('/decode', encoded)).payloads).toEqual([plain]);
    server.kill('SIGTERM');
    expect((await server).exitCode, out).toBe(0);
  });
});

/**
 * `openclaw-rollout worker --inventory <bed> --metrics <address>` from the prefix, in its own process
 * group; its output in `log()`.
 */
function startInstalledWorker(metrics: string) {
  const child = execa(pkg.bin, ['worker', '--inventory', info.inventoryPath, '--metrics', metrics], {
    cwd: dir,
    env: { PATH: pkg.path, NO_COLOR: '1' },
    detached: true,
    all: true,
    reject: false,
  });
  let log = '';
  let exited = false;
  child.all.on('data', (d: Buffer) => (log += d.toString()));
  void child.then(() => (exited = true));
  return { child, log: () => log, exited: () => exited };
}

describe('a worker started with the installed command', () => {
  let worker: ReturnType<typeof startInstalledWorker>;
  let metrics: string;

  beforeAll(async () => {
    metrics = `127.0.0.1:${await freePort()}`;
    worker = startInstalledWorker(metrics);
    for (let waited = 0; !worker.log().includes('worker serving task queue'); waited += 250) {
      if (worker.exited() || waited > 120_000) throw new Error(`the worker did not start serving:\n${worker.log()}`);
      await sleep(250);
    }
  });

  afterAll(async () => {
    if (worker?.child.pid && !worker.exited()) process.kill(-worker.child.pid, 'SIGKILL');
    await worker?.child;
  });

  it('bundles the compiled workflows and serves the central queue', () => {
    expect(worker.log()).toContain(
      `worker serving task queue ${inventory.temporal.taskQueue} (workflows and commands)`,
    );
  });

  it("serves Prometheus metrics (--metrics): the SDK's own and the rollout's fleet gauges", async () => {
    expect(worker.log()).toContain(`metrics on http://${metrics}/metrics`);
    const c = `cluster="${inventory.cluster}"`;
    const text = await pollUntil(
      'the fleet gauges on /metrics',
      async () => {
        const body = await (await fetch(`http://${metrics}/metrics`)).text();
        return body.includes(`openclaw_rollout_running{${c}`) && body;
      },
      30_000,
      250,
    );
    expect(text).toMatch(
      new RegExp(`^openclaw_rollout_running\\{${c},worker_cluster="${inventory.cluster}"\\} 0$`, 'm'),
    );
    expect(text).toMatch(/^temporal_num_pollers\{.*poller_type="workflow_task".*\} [1-9]/m);
    for (const i of inventory.instances)
      expect(text).toContain(`openclaw_rollout_instance_out_of_traffic_seconds{${c},openclaw_instance="${i.id}"`);
  });

  it('runs preflight from the installed command, every instance healthy, on this worker', async () => {
    const started = new Date();
    const res = await installed('preflight', '--inventory', info.inventoryPath, '--json');
    expect(res.exitCode, res.all).toBe(0);
    const report = JSON.parse(res.stdout) as PreflightReport;
    expect(report.instances.map((i) => [i.instance, i.healthy])).toEqual(inventory.instances.map((i) => [i.id, true]));
    // The workflow and its activities ran on this worker (the SDK's identity: pid@host), no other.
    expect(await preflightIdentities(started)).toEqual([`${worker.child.pid}@${hostname()}`]);
  });

  it("shows the rollout's status, or says clearly that there is none", async () => {
    const id = rolloutWorkflowId(inventory.cluster);
    const res = await installed('status', '--inventory', info.inventoryPath, '--json');
    if (await rolloutExists(id)) {
      expect(res.exitCode, res.all).toBe(0);
      const progress = JSON.parse(res.stdout) as RolloutProgress;
      expect(progress.cluster).toBe(inventory.cluster);
      expect(progress.instances.map((i) => i.instance)).toEqual(inventory.instances.map((i) => i.id));
    } else {
      expect(res.exitCode).toBe(1);
      expect(res.stderr).toContain(`error: no rollout of cluster ${inventory.cluster} was found (${id})`);
    }
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    process.kill(-worker.child.pid!, 'SIGTERM');
    const result = await Promise.race([worker.child, sleep(30_000).then(() => null)]);
    expect(result?.exitCode, worker.log()).toBe(0);
  });
});

/** Runs `fn` with a client on the bed's Temporal (asked directly, not through the command). */
async function withBedClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const { dataConverter } = await loadPayloadProtection();
  const connection = await Connection.connect({ address: info.temporal.address });
  try {
    return await fn(new Client({ connection, namespace: info.temporal.namespace, dataConverter }));
  } finally {
    await connection.close();
  }
}

/** Whether the bed's Temporal holds this rollout. */
const rolloutExists = (id: string) =>
  withBedClient(async (client) => {
    try {
      await client.workflow.getHandle(id).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  });

/** The workers (identities) that ran the workflow tasks and activities of the preflights started since `since`. */
const preflightIdentities = (since: Date) =>
  withBedClient(async (client) => {
    const identities = new Set<string>();
    const query = `WorkflowType = 'clusterPreflight' AND StartTime >= '${since.toISOString()}'`;
    for await (const wf of client.workflow.list({ query })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const identity =
          e.workflowTaskCompletedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    return [...identities];
  });
