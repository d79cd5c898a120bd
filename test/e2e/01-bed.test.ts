/**
 * The bed itself, as an operator would check a fresh cluster: every gateway healthy on its own install
 * of the starting release, HAProxy sending traffic to all of them, the clients paired and connected,
 * and the read-only preflight (runbook "Before you start") passing through a real Temporal worker.
 */
import { execa } from 'execa';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { gatewayActivities } from '../../src/activities/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oc from '../../src/activities/openclaw/index.js';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { clusterPreflight } from '../../src/workflows/preflight.js';
import type { PreflightReport } from '../../src/workflows/preflight.js';
import type { BedInfo } from '../bed/bed.js';
import { gatewayAccess } from '../bed/clients.js';
import { bed, runActivity, startWorker } from '../bed/context.js';
import { projectRoot } from '../bed/tools.js';
import { hostQueue as hostQueueName } from '../../src/shared/task-queues.js';
import type { Inventory } from '../../src/shared/inventory.js';

let info: BedInfo;
let inventory: Inventory;
beforeAll(async () => ({ info, inventory } = await bed()));

describe('the test bed', () => {
  it('runs every gateway healthy, from its own npm prefix, on the starting release', async () => {
    const statuses = await Promise.all(
      info.gateways.map((g) => oc.gatewayStatus(gatewayAccess(g), { timeoutMs: 60_000 })),
    );
    const pids = new Set<number | null>();
    for (const [i, s] of statuses.entries()) {
      expect(s.healthy, info.gateways[i]!.id).toBe(true);
      pids.add(s.pid);
    }
    expect(pids.size).toBe(info.gateways.length);
    const prefixes = await Promise.all(info.gateways.map((g) => realpath(g.prefix)));
    expect(new Set(prefixes).size).toBe(info.gateways.length);
    // Every gateway reports a release, all the same one, and it is not yet the target.
    const versions = new Set(statuses.map((s) => s.version));
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^\d{4}\.\d+\.\d+$/);
  });

  it('runs the gateways under supervisor, as on a host without systemd', async () => {
    const { stdout } = await execa('supervisorctl', ['-c', info.supervisorConf, 'status'], { reject: false });
    for (const g of info.gateways) expect(stdout).toMatch(new RegExp(`^${g.id}\\s+RUNNING`, 'm'));
    expect(stdout).toMatch(/^temporal\s+RUNNING/m);
    expect(stdout).toMatch(/^haproxy\s+RUNNING/m);
    expect(stdout).toMatch(/^node-1\s+RUNNING/m);
  });

  it('has HAProxy sending traffic to every gateway', async () => {
    const rows = await showStat(info.haproxy.socket);
    for (const g of info.gateways) {
      const row = rows.find((r) => r.backend === info.haproxy.backend && r.server === g.lbServer);
      expect(row?.status, g.lbServer).toBe('UP');
    }
  });

  it('has the real node host paired (through a pending request and devices approve) and connected', async () => {
    const node = inventory.instances
      .flatMap((i) => i.devices.map((d) => ({ i, d })))
      .find(({ d }) => d.name === 'node-1');
    expect(node).toBeDefined();
    const list = await oc.devicesList(node!.i.gateway, { timeoutMs: 60_000 });
    const paired = list.paired.find((p) => p.deviceId === node!.d.deviceId);
    expect(paired?.connected).toBe(true);
    expect(paired?.roles).toContain('node');
  });
});

describe('reaching a gateway by URL (remote mode)', () => {
  it('works with the shared token referenced by file, and the token never shows in what it reports', async () => {
    const g = info.gateways[0]!;
    await mkdir(join(info.dir, 'remote-home'), { recursive: true });
    const remote = {
      cli: g.cli,
      env: { PATH: g.env.PATH!, HOME: join(info.dir, 'remote-home') },
      url: g.wsUrl,
      token: { file: info.sharedTokenFile },
    };
    const status = await runActivity(gatewayActivities.gatewayStatus, {
      instance: { ...inventory.instances[0]!, gateway: remote },
      policy: inventory.policy,
    });
    expect(status.healthy).toBe(true);
    const list = await oc.devicesList(remote, { timeoutMs: 60_000 });
    expect(Array.isArray(list.paired)).toBe(true);
    expect(JSON.stringify(status)).not.toContain((await readFile(info.sharedTokenFile, 'utf8')).trim());
  });

  it('names the missing secret and its field when the env var is not set, without running anything', async () => {
    const g = info.gateways[0]!;
    const remote = {
      cli: ['/nonexistent/openclaw'],
      env: {},
      url: g.wsUrl,
      token: { env: 'OPENCLAW_ROLLOUT_TEST_UNSET_TOKEN' },
    };
    const err = (await runActivity(gatewayActivities.gatewayStatus, {
      instance: { ...inventory.instances[0]!, gateway: remote },
      policy: inventory.policy,
    }).catch((e: unknown) => e)) as Error & { type?: string; nonRetryable?: boolean };
    expect(err.type).toBe('ConfigurationError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('gateway.token');
    expect(err.message).toContain('OPENCLAW_ROLLOUT_TEST_UNSET_TOKEN');
  });
});

describe('preflight through Temporal', () => {
  let w: Awaited<ReturnType<typeof startWorker>>;
  beforeAll(async () => (w = await startWorker(info, inventory.temporal.taskQueue)));
  afterAll(async () => w?.stop());

  it('reports every instance healthy with its devices and load-balancer server', async () => {
    const report: PreflightReport = await w.client.workflow.execute(clusterPreflight, {
      taskQueue: inventory.temporal.taskQueue,
      workflowId: `bed-test/preflight/${Date.now()}`,
      args: [{ inventory }],
    });
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(report.instances.map((i) => i.instance)).toEqual(info.gateways.map((g) => g.id));
    for (const i of report.instances) expect(i.lb?.status).toBe('UP');
  });

  it('names a device the gateway does not know, and fails', async () => {
    const broken = structuredClone(inventory);
    broken.instances[1]!.devices.push({ deviceId: 'f'.repeat(64), role: 'operator', scopes: ['operator.read'] });
    const report: PreflightReport = await w.client.workflow.execute(clusterPreflight, {
      taskQueue: inventory.temporal.taskQueue,
      workflowId: `bed-test/preflight-missing/${Date.now()}`,
      args: [{ inventory: broken }],
    });
    expect(report.ok).toBe(false);
    expect(report.instances[1]!.missingDevices).toEqual(['f'.repeat(64)]);
    expect(report.instances[0]!.problems).toEqual([]);
  });

  it("runs an instance's commands on its host's worker (`worker --host`), through that host's queue", async () => {
    const spread = structuredClone(inventory);
    spread.instances[1]!.host = 'h2';
    const hostQueue = hostQueueName(inventory.temporal.taskQueue, 'h2');
    const calls: { activity: string; instance?: string }[] = [];
    const hostWorker = await startWorker(info, hostQueue, {
      activitiesOnly: true,
      record: (activity, args) =>
        calls.push({ activity, instance: (args[0] as { instance?: { id: string } }).instance?.id }),
    });
    try {
      const report: PreflightReport = await w.client.workflow.execute(clusterPreflight, {
        taskQueue: inventory.temporal.taskQueue,
        workflowId: `bed-test/preflight-hosts/${Date.now()}`,
        args: [{ inventory: spread }],
      });
      expect(report.ok, JSON.stringify(report)).toBe(true);
      // The host worker ran exactly the h2 instance's gateway calls, and nothing else.
      expect(calls.map((c) => c.activity).sort()).toEqual(['gatewayStatus', 'listDevices']);
      expect(new Set(calls.map((c) => c.instance))).toEqual(new Set([spread.instances[1]!.id]));
    } finally {
      await hostWorker.stop();
    }
  });

  it('works from the starter CLI, printing one row per instance', async () => {
    const r = await execa('npx', ['tsx', 'src/starter.ts', 'preflight', '--inventory', info.inventoryPath], {
      cwd: projectRoot,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    for (const g of info.gateways) expect(r.stdout).toMatch(new RegExp(`^${g.id}\\s+healthy`, 'm'));
  });
});
