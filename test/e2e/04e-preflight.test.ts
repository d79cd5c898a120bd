/**
 * The checks before anything changes (issue 20), on the real bed with a real worker:
 *  1. `plan` on the bed passes every check (the bed's `balance hdr(X-Route)` is sticky) and prints them;
 *  2. `start` with a version the registry does not have is refused before any drain (an HAProxy sampler
 *     sees every server in traffic throughout, no rollout is started), naming the version and what the
 *     registry answered;
 *  3. a backend that balances `roundrobin` (a second small HAProxy in front of the same gateways) is
 *     reported by `plan`, quoting runbook rule 1;
 *  4. a host whose worker stopped makes `start` refuse, naming the host and the command to start it;
 *  5. a failing staging (the real npm, a version that does not exist) says ETARGET in its failure
 *     message and changed nothing: current still points to the release that runs, no directory was
 *     left in versions/, and the server stayed UP in HAProxy throughout.
 * Leaves the bed as it found it: its own inventory copies and HAProxy; gw-1's install is not changed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { gatewayActivities, preflightActivities } from '../../src/activities/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { loadInventory } from '../../src/inventory-file.js';
import { checkWorkers } from '../../src/cli/preflight-checks.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { BedInfo } from '../bed/bed.js';
import { bed, runActivity, startWorker } from '../bed/context.js';
import { haproxySampler } from '../bed/haproxy-sampler.js';
import { starterCli } from '../bed/starter.js';
import { startHaproxy, type HaproxyProcess } from '../helpers/haproxy-process.js';
import { readdir, readFile } from 'node:fs/promises';
import { currentRelease } from '../../src/activities/openclaw/index.js';

let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;

/** Writes a copy of the bed's inventory, changed by `edit`, and returns its path. */
async function inventoryCopy(
  name: string,
  edit: (
    raw: Record<string, unknown> & { loadBalancer: Record<string, unknown>; instances: Record<string, unknown>[] },
  ) => void,
): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Parameters<typeof edit>[0];
  edit(raw);
  const path = join(info.dir, name);
  await writeFile(path, toYaml(raw));
  return path;
}

const target = (id: string) => ({ instance: inventory.instances.find((i) => i.id === id)!, policy: inventory.policy });

beforeAll(async () => {
  ({ info, inventory } = await bed());
  w = await startWorker(info, inventory.temporal.taskQueue);
});
afterAll(async () => {
  await w?.stop();
});

describe('plan on the bed', () => {
  it('passes every check and prints them with the commands', async () => {
    const t0 = Date.now();
    const r = await starterCli('plan', '--inventory', info.inventoryPath, '--target', info.targetVersion);
    console.log(`plan on the bed (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${r.out}`);
    await writeFile(join(info.dir, 'plan-output.txt'), r.out);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('checks before anything changes (target 2026.9.6):');
    expect(r.out).toMatch(/\(bed\)\s+sticky-routing\s+ok\s+backend gateways balances with "hdr"/);
    for (const g of info.gateways) {
      for (const check of [
        'host-worker',
        'target-exists',
        'node-engine',
        'instance-local-state',
        'host-commands',
        'disk-space',
      ]) {
        expect(r.out).toMatch(new RegExp(`${g.id}\\s+${check}\\s+ok`));
      }
    }
    expect(r.out).not.toContain('FAILED');
  });
});

describe('start refuses before the first drain', () => {
  it('an unknown target: refused, naming the version and what the registry answered; every server stays in traffic', async () => {
    const sampler = haproxySampler(info);
    const t0 = Date.now();
    const r = await starterCli('start', '--inventory', info.inventoryPath, '--target', '2026.99.9', '--by', 'e2e');
    const took = Date.now() - t0;
    await new Promise((res) => setTimeout(res, 1500));
    await sampler.stop();
    console.log(`start --target 2026.99.9 (${(took / 1000).toFixed(1)} s, exit ${r.code}):\n${r.out}`);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(
      'start refused: the checks before anything changes failed for the rollout of bed to 2026.99.9; nothing was started or changed.',
    );
    for (const g of info.gateways) {
      expect(r.out).toContain(`${g.id}: target-exists: openclaw 2026.99.9 is not available to ${g.id}'s npm.`);
    }
    expect(r.out).toContain(
      'npm says E404: the registry has no version 2026.99.9 of openclaw ("No match found for version")',
    );
    expect(r.out).toContain('npm error 404 No match found for version 2026.99.9');
    expect(sampler.samples.length).toBeGreaterThan(3);
    expect(sampler.maxDrained()).toBe(0);
    // No rollout was started.
    await expect(
      w.client.workflow
        .getHandle(rolloutWorkflowId(inventory.cluster))
        .describe()
        .then((d) => d.status.name),
    )
      .rejects.toBeInstanceOf(WorkflowNotFoundError)
      .catch(async () => {
        // An earlier e2e file may have left a finished rollout of the bed: it must not be running.
        expect(
          (await w.client.workflow.getHandle(rolloutWorkflowId(inventory.cluster)).describe()).status.name,
        ).not.toBe('RUNNING');
      });
  });

  it(
    'a host whose worker stopped: refused, naming the host and how to start its worker',
    { timeout: 180_000 },
    async () => {
      const path = await inventoryCopy('cluster-host-worker.yaml', (raw) => {
        raw.instances[1]!.host = 'gw-host-e2e';
      });
      const inv = await loadInventory(path);
      const queue = `${inv.temporal.taskQueue}@gw-host-e2e`;
      // A host worker that ran, then stopped.
      const host = await startWorker(info, queue, { activitiesOnly: true });
      await new Promise((res) => setTimeout(res, 1000));
      const seen = await checkWorkers(w.client, inv, path);
      expect(seen.perInstance.get('gw-2')).toMatchObject({ status: 'ok' });
      await host.stop();
      const stoppedAt = Date.now();
      // Just stopped, it still looks alive to `describe task queue` (its last poll is recent): the
      // preflight's own 30 s wait for a worker to take gw-2's commands catches it.
      const sampler = haproxySampler(info);
      const r = await starterCli('start', '--inventory', path, '--target', info.targetVersion, '--by', 'e2e');
      await sampler.stop();
      console.log(
        `start with gw-host-e2e's worker stopped (refused ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after it stopped, exit ${r.code}):\n${r.out}`,
      );
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain(
        "gw-2: host-worker: no worker took gw-2's commands from task queue openclaw-rollout@gw-host-e2e within 30 s: host gw-host-e2e's worker is stopped",
      );
      expect(r.out).toContain(
        'Fix: on gw-host-e2e, start: npm run worker -- --inventory <your inventory> --host gw-host-e2e',
      );
      expect(sampler.maxDrained()).toBe(0);
      // A host whose worker never ran (or stopped long ago): the starter's `describe task queue` names it at once.
      const never = await inventoryCopy('cluster-host-never.yaml', (raw) => {
        raw.instances[2]!.host = 'gw-host-never';
      });
      const t0 = Date.now();
      const p = await starterCli('plan', '--inventory', never, '--target', info.targetVersion);
      console.log(
        `plan with gw-host-never's worker never started (${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${p.code}):\n${p.out.split('\n\ngw-1:')[0]}`,
      );
      expect(p.code).toBe(1);
      expect(p.out).toMatch(
        /gw-3\s+host-worker\s+FAILED\s+no worker polls host gw-host-never's task queue openclaw-rollout@gw-host-never/,
      );
      expect(p.out).toContain(
        `Fix: on gw-host-never, start: npm run worker -- --inventory ${never} --host gw-host-never`,
      );
      expect(Date.now() - t0).toBeLessThan(10_000);
    },
  );
});

describe('sticky routing (runbook rule 1)', () => {
  let hap: HaproxyProcess;
  beforeAll(async () => {
    // A second, small HAProxy in front of the same gateways whose backend `spread` balances roundrobin
    // (the runtime API cannot change a backend's balance; the bed's HAProxy is left alone).
    const servers = info.gateways.map((g) => ({ name: g.lbServer, port: g.port }));
    hap = await startHaproxy({
      servers,
      extraConfig: [
        'backend spread',
        '  balance roundrobin',
        ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check inter 1s`),
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await hap?.stop();
  });

  it('a backend switched to roundrobin is reported by plan, quoting the rule and what it causes', async () => {
    const path = await inventoryCopy('cluster-roundrobin.yaml', (raw) => {
      raw.loadBalancer = { type: 'haproxy', socket: hap.adminSocket, backend: 'spread' };
    });
    const r = await starterCli('plan', '--inventory', path, '--target', info.targetVersion);
    console.log(`plan with a roundrobin backend (exit ${r.code}):\n${r.out}`);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /\(bed\)\s+sticky-routing\s+FAILED\s+backend spread balances with "roundrobin", no stick table, no cookie persistence/,
    );
    expect(r.out).toContain(
      'Runbook rule: "Keep WebSocket routing sticky per client device when using multiple Gateway instances."',
    );
    expect(r.out).toContain('device token mismatch');
    expect(r.out).toContain('start would refuse:');
    expect(r.out).toContain('gw-1: sticky-routing: backend spread balances with "roundrobin"');
    // policy.preflight.warn turns it into a warning: plan passes and says so.
    const warned = await inventoryCopy('cluster-roundrobin-warn.yaml', (raw) => {
      raw.loadBalancer = { type: 'haproxy', socket: hap.adminSocket, backend: 'spread' };
      (raw.policy as Record<string, unknown>).preflight = { warn: ['sticky-routing'] };
    });
    const r2 = await starterCli('plan', '--inventory', warned, '--target', info.targetVersion);
    expect(r2.code, r2.out).toBe(0);
    expect(r2.out).toMatch(/\(bed\)\s+sticky-routing\s+warning/);
    expect(r2.out).toContain('warnings (policy.preflight.warn: start goes on with them):');
  });
});

describe('a failed staging says what npm said and changes nothing', () => {
  it('ETARGET in the failure message; current, the versions and the server in HAProxy untouched', async () => {
    const gw1 = info.gateways.find((g) => g.id === 'gw-1')!;
    const before = await runActivity(preflightActivities.installedVersion, target('gw-1'));
    expect(before).toBe(info.fromVersion);
    const versionsBefore = await readdir(join(gw1.root, 'versions'));
    const sampler = haproxySampler(info);
    const t0 = Date.now();
    const err = await runActivity(gatewayActivities.prepareRelease, target('gw-1'), '2026.99.9')
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      .finally(() => sampler.stop());
    console.log(
      `staging of 2026.99.9 on gw-1 failed after ${((Date.now() - t0) / 1000).toFixed(1)} s:\n${err?.message}`,
    );
    expect(err?.message).toMatch(/exited with code 1; expected it to stage openclaw 2026\.99\.9 into /);
    expect(err?.message).toContain(
      'npm says ETARGET: the registry has no version 2026.99.9 of openclaw ("No matching version found")',
    );
    expect(err?.message).toContain('npm error code ETARGET');
    expect(err?.message).toContain('npm error notarget No matching version found for openclaw@2026.99.9.');
    // Nothing changed: current still points to the running release, no new or half-staged directory.
    expect(await runActivity(preflightActivities.installedVersion, target('gw-1'))).toBe(info.fromVersion);
    expect(await currentRelease(gw1.root)).toBe(info.fromVersion);
    expect(await readdir(join(gw1.root, 'versions'))).toEqual(versionsBefore);
    // The server was in traffic and UP throughout.
    expect(sampler.samples.length).toBeGreaterThan(0);
    expect(sampler.samples.filter((x) => x.notUp.includes(gw1.lbServer))).toEqual([]);
  });
});
