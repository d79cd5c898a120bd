/**
 * The rollout on a production-shaped Temporal (test/bed/production-temporal.ts): the server on
 * PostgreSQL (schemas made by temporal-sql-tool), mTLS from the bed's CA, its own Web UI server. The
 * shared bed's own Temporal is the dev server, so this file attaches the production one to the bed's
 * supervisord (~10 s) unless the bed already runs it (OPENCLAW_ROLLOUT_BED_TEMPORAL=production).
 *
 * One short rollout over two gateways (the release they run, --force: no download) with the product's
 * worker and starter configured only by the inventory's temporal.tls block. The second gateway is a host
 * of its own: a network namespace made by the bed (test/bed/netns.ts, netns-gateway.ts), where its gateway
 * listens and its `worker --host` runs, reaching Temporal over mTLS through a veth; HAProxy reaches the
 * gateway through the veth, and from outside the namespace the gateway's address (127.0.0.1:<port>, what
 * its commands use) answers nobody: its rollout succeeding proves its commands ran where it lives.
 *   - PostgreSQL is restarted while the instances' gateways start on the release (together: batchSize 2,
 *     to keep the file short; the staged switch itself takes milliseconds, the start ~10 s);
 *   - the Temporal server process is restarted while both wait for approval; then the first instance is
 *     approved by the starter over mTLS, the second in the Web UI server (headless chromium: its Current
 *     Details, "Send a Signal" listing approveRejoin and rejectRejoin with their descriptions; screenshots
 *     in test-artifacts/screenshots/, where docs/screenshots/ comes from), which reaches the server over mTLS;
 *   - the namespaced host's worker is stopped before that approval: its step after rejoin waits (not
 *     failed) and `status` names the task queue it waits in, until the worker comes back;
 *   - both gateways end on the target and UP in HAProxy; no install or restart ran twice; each host-bound
 *     activity of the second ran on its host's queue by the worker in the namespace; the histories are read
 *     back from PostgreSQL through the server (and the rows are in PostgreSQL), and hold no secret.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { serverState, showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import { connectClient } from '../../src/cli/client.js';
import { loadInventory } from '../../src/inventory-file.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import { APPROVE_DESCRIPTION, REJECT_DESCRIPTION } from '../../src/shared/messages/rollout.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { createWorker } from '../../src/worker.js';
import type { BedInfo } from '../bed/bed.js';
import { bed } from '../bed/context.js';
import { activityAttempts, activityStarts, activityWindow } from '../bed/history-events.js';
import { saveHistories } from '../bed/histories.js';
import { createNetns, inNetns, removeNetns } from '../bed/netns.js';
import {
  removeNetnsGateway,
  startNetnsGateway,
  startNetnsHostWorker,
  type NetnsGateway,
} from '../bed/netns-gateway.js';
import { bedProductionTemporal, productionCliConnection, type ProductionTemporal } from '../bed/production-temporal.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { starterCli } from '../bed/starter.js';
import { Supervisor } from '../bed/supervisor.js';
import { node24Bin, postgresBinDir } from '../bed/tools.js';
import { pollUntil, waitForInstancePhase } from '../bed/wait.js';
import type { WorkerProcess } from '../bed/worker-process.js';
import { temporalCli } from '../helpers/temporal-server.js';
import { TemporalUi } from '../helpers/temporal-ui.js';

const CLUSTER = 'bed-production';
let info: BedInfo;
let inventory: Inventory;
let prod: Awaited<ReturnType<typeof bedProductionTemporal>>;
let t: ProductionTemporal;
let nsGw: NetnsGateway;
let file: string;
let client: Client;
let closeClient: () => Promise<void>;
let stopWorker: () => Promise<void>;
let hostWorker: WorkerProcess | undefined;
let ui: TemporalUi;
/** The release the bed gateway runs (the rollout's target, --force). */
let running: string;

/** A gateway's release from /startupz (the cheapest version check; it answers loopback clients). */
async function startupVersion(httpUrl: string): Promise<string | undefined> {
  const r = await fetch(`${httpUrl}/startupz`, { signal: AbortSignal.timeout(5000) });
  return ((await r.json()) as { version?: string }).version;
}

/** The bed gateway of the rollout: the one with the fewest paired clients that is not the node host's home. */
function bedGatewayId(): string {
  const g = inventory.instances
    .filter((i) => !i.devices.some((d) => d.role === 'node'))
    .sort((a, b) => a.devices.length - b.devices.length)[0];
  if (!g) throw new Error("the bed needs a gateway that is not the node host's home");
  return g.id;
}

/**
 * The bed's inventory on the production Temporal (mTLS), cut to one bed gateway the node host does not
 * call home and the namespaced host's gateway, rolled out together (batchSize 2) with short waits:
 * nothing to drain or rotate there.
 */
async function productionInventory(): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string; devices?: unknown[] }[];
    policy: Record<string, unknown>;
  };
  raw.cluster = CLUSTER;
  raw.temporal = {
    address: t.address,
    namespace: t.namespace,
    taskQueue: 'openclaw-rollout-production',
    uiUrl: t.uiUrl,
    tls: t.tls,
  };
  raw.instances = [...raw.instances.filter((i) => i.id === bedGatewayId()), nsGw.instance];
  for (const i of raw.instances) i.devices = [];
  raw.policy = {
    ...raw.policy,
    batchSize: 2,
    drainDeadline: '5s',
    mismatchWindow: '3s',
    reconnectDeadline: '10s',
    approvals: { approvers: ['alice', 'bob'] },
  };
  const path = join(info.dir, 'cluster-production.yaml');
  await writeFile(path, toYaml(raw));
  return path;
}

/** The namespaced host's worker: `worker --host` inside the namespace, to the frontend through the veth. */
const startHostWorker = () => startNetnsHostWorker(nsGw, file, `${nsGw.ns.hostAddress}:${t.address.split(':').at(-1)}`);

beforeAll(async () => {
  ({ info, inventory } = await bed());
  const attachStarted = Date.now();
  // The production Temporal and the namespaced host's gateway start side by side.
  // The namespaced gateway starts on the release the bed gateway runs (/startupz: the cheapest version check).
  const bedGw = inventory.instances.find((i) => i.id === bedGatewayId())!;
  running = (await startupVersion(bedGw.gateway.httpUrl!))!;
  [prod, nsGw] = await Promise.all([
    bedProductionTemporal(info),
    createNetns(info.dir).then((ns) => startNetnsGateway(info, ns, { version: running })),
  ]);
  t = prod.temporal;
  console.log(
    `[production] ${prod.attached ? 'attached' : 'found'} with ${nsGw.gateway.id} in ${nsGw.ns.name} in ${((Date.now() - attachStarted) / 1000).toFixed(1)} s`,
  );
  file = await productionInventory();
  const { worker, connection } = await createWorker({
    inventoryPath: file,
    workflowBundlePath: join(info.dir, 'workflow-bundle.js'),
  });
  const serving = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await serving;
    await connection.close();
  };
  hostWorker = await startHostWorker();
  const c = await connectClient(await loadInventory(file));
  client = c.client;
  closeClient = () => c.connection.close();
  ui = await TemporalUi.launch(t.uiUrl, t.namespace);
});
afterAll(async () => {
  await ui?.close();
  await hostWorker?.stop();
  await stopWorker?.();
  await closeClient?.();
  if (info) {
    await removeNetnsGateway(info);
    await removeNetns(info.dir);
  }
  await prod?.detach();
});

/** The server answers over mTLS (after a restart: the frontend, and the namespace registry). */
async function serverAnswers(): Promise<boolean> {
  return temporalCli([
    'workflow',
    'list',
    '--namespace',
    t.namespace,
    '--limit',
    '1',
    ...productionCliConnection(t),
    '--command-timeout',
    '3s',
  ]).then(
    () => true,
    () => false,
  );
}

/** `url`'s body fetched from inside the namespace (a Node fetch run there), or undefined when nothing answers. */
async function fetchInsideNamespace(url: string): Promise<string | undefined> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(await r.text()), () => process.exit(1))`;
  const [cmd, ...args] = inNetns(nsGw.ns, [node24Bin(), '-e', script]);
  const r = await execa(cmd!, args, { reject: false });
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** Whether `url` answers from here: the root namespace, where the central worker runs. */
const answersHere = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    () => true,
    () => false,
  );

it(
  'rolls out on PostgreSQL + mTLS through a server restart and a PostgreSQL restart, one host in its own network namespace; approvals from the starter and the Web UI server',
  async () => {
    const sup = new Supervisor(info.dir);
    const [first, second] = (await loadInventory(file)).instances;
    expect(second!.host).toBe(nsGw.host);
    // The namespaced gateway answers at its address only inside the namespace; HAProxy reaches it through the veth.
    expect(await answersHere(`${second!.gateway.httpUrl}/readyz`), 'reached from the root namespace').toBe(false);
    expect(await fetchInsideNamespace(`${second!.gateway.httpUrl}/readyz`)).toBeDefined();
    expect((await serverState(info.haproxy.socket, info.haproxy.backend, second!.lbServer)).status).toBe('UP');

    expect(running).toMatch(/^\d{4}\.\d+\.\d+/);
    const id = rolloutWorkflowId(CLUSTER);
    const childId = `${id}/${second!.id}`;
    const started = Date.now();
    const start = await starterCli('start', '--inventory', file, '--target', running, '--by', 'prod-test', '--force');
    expect(start.code, start.out).toBe(0);
    const hostWorkerPids = [hostWorker!.pid];
    try {
      // PostgreSQL goes away while the gateways start on the release (both at once: batchSize 2), and comes back.
      // (The child's pending activities say when its start runs: the parent's progress hears of phases only.)
      await pollUntil(
        `${second!.id}'s start (startGateway) running`,
        async () => {
          const d = await client.workflow.getHandle(childId).describe();
          return (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'startGateway');
        },
        8 * 60_000,
        250,
      );
      const pgRestartAt = Date.now();
      await sup.ctl('restart', 'postgresql');
      await waitForInstancePhase(client, id, first!.id, 'AwaitingApproval', 8 * 60_000);
      await waitForInstancePhase(client, id, second!.id, 'AwaitingApproval', 8 * 60_000);
      expect((await serverState(info.haproxy.socket, info.haproxy.backend, second!.lbServer)).admin).toBe('drain');
      // The server process goes away while the rollout waits for a person, and comes back.
      await sup.ctl('restart', 'temporal-server');
      await expect.poll(serverAnswers, { timeout: 120_000, interval: 1000 }).toBe(true);
      const status = await starterCli('status', '--inventory', file);
      expect(status.code, status.out).toBe(0);
      // The status, read from PostgreSQL through the restarted server, still shows both waiting for a person.
      for (const i of [first!, second!])
        expect(status.out).toMatch(new RegExp(`^${i.id} +AwaitingApproval .*approval by alice or bob`, 'm'));
      const approved = await starterCli('approve', '--inventory', file, '--instance', first!.id, '--approver', 'alice');
      expect(approved.code, approved.out).toBe(0);

      // The namespaced host's worker stops: its next host step (verify after rejoin) will wait for it.
      await hostWorker!.stop();
      hostWorker = undefined;
      const hostWorkerStoppedAt = Date.now();

      // The Web UI server (over mTLS to the frontend): the rollout's page names the child, whose page says
      // what to check and how to approve; "Send a Signal" sends the approval.
      await ui.openWorkflow(id);
      expect(await (await ui.currentDetails()).innerText()).toContain(childId);
      await ui.openWorkflow(childId);
      expect(await ui.workflowStatus()).toBe('Running');
      const details = await (await ui.currentDetails()).innerText();
      expect(details).toContain(`${second!.id} waits for your approval to rejoin traffic`);
      expect(details).toContain('Send a Signal approveRejoin');
      await ui.screenshot('ui-approval-1-current-details');
      const dialog = await ui.openSignalDialog();
      // The dropdown lists the workflow's signals: the UI server queried the running workflow over mTLS.
      const listed = await dialog.listSignals();
      expect(listed).toContainEqual({ name: 'approveRejoin', description: APPROVE_DESCRIPTION });
      expect(listed).toContainEqual({ name: 'rejectRejoin', description: REJECT_DESCRIPTION });
      await ui.screenshot('ui-approval-2-signal-list');
      await dialog.chooseSignal('approveRejoin');
      const decision = { instance: second!.id, approver: 'bob', comment: 'from the Web UI server' };
      await dialog.enterInput(JSON.stringify(decision));
      await ui.screenshot('ui-approval-3-signal-input');
      await dialog.submit();

      // Rejoined (HAProxy is central), then its check after rejoin waits in the host's queue: not failed,
      // and `status` names that queue and the worker that serves it (the command as run: `npm run starter --`
      // from this checkout, `openclaw-rollout` when installed).
      const queue = `openclaw-rollout-production@${nsGw.host}`;
      let waiting = '';
      await pollUntil(
        `status to say ${second!.id} waits for a worker on ${queue}`,
        async () => {
          waiting = (await starterCli('status', '--inventory', file)).out;
          return waiting.includes(`a worker on task queue ${queue}`);
        },
        2 * 60_000,
        1000,
      );
      console.log(`[production] with ${nsGw.host}'s worker stopped:\n${waiting}`);
      expect(waiting).toMatch(
        new RegExp(
          `^${second!.id} +(Rejoining|VerifyingAfterRejoin) .*a worker on task queue ${queue}: no worker took "verify after rejoin" \\(\\w+\\) for \\d+ s; the step waits, start on ${nsGw.host}: (openclaw-rollout|npm run starter --) worker --inventory <your inventory> --host ${nsGw.host}`,
          'm',
        ),
      );
      const pending = (await client.workflow.getHandle(childId).describe()).raw.pendingActivities ?? [];
      expect(pending.length).toBeGreaterThan(0);
      for (const a of pending) expect(Number(a.state), a.activityType?.name ?? '').toBe(1 /* SCHEDULED */);
      hostWorker = await startHostWorker();
      hostWorkerPids.push(hostWorker.pid);
      console.log(
        `[production] ${nsGw.host}'s worker was stopped for ${((Date.now() - hostWorkerStoppedAt) / 1000).toFixed(1)} s`,
      );

      const report = (await client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      const wallSeconds = (Date.now() - started) / 1000;
      console.log(`[production] rollout of 2 instances took ${wallSeconds.toFixed(1)} s`);
      expect(report.outcome).toBe('done');
      expect(report.instances.find((i) => i.instance === first!.id)?.decision).toMatchObject({ approver: 'alice' });
      expect(report.instances.find((i) => i.instance === second!.id)?.decision).toMatchObject({
        kind: 'approve',
        ...decision,
      });
      const rows = await showStat(info.haproxy.socket);
      for (const i of [first!, second!])
        expect(rows.find((r) => r.server === i.lbServer)?.status, i.lbServer).toBe('UP');
      expect(await startupVersion(first!.gateway.httpUrl!)).toBe(running);
      // The namespaced gateway's release, read inside its namespace (/startupz tells loopback clients only).
      const after = JSON.parse((await fetchInsideNamespace(`${second!.gateway.httpUrl}/startupz`)) ?? '{}') as {
        version?: string;
      };
      expect(after.version).toBe(running);
      expect(await answersHere(`${second!.gateway.httpUrl}/readyz`), 'reached from the root namespace').toBe(false);

      await ui.openWorkflow(id);
      expect(await ui.workflowStatus()).toBe('Completed');
      // The iframe's markdown renders a moment after its body appears (CI once read it blank): poll.
      const finalDetails = await ui.currentDetails();
      await expect
        .poll(() => finalDetails.innerText(), { timeout: 20_000, interval: 500 })
        .toContain(`Done: all 2 instances run ${running}`);
      await ui.screenshot('ui-approval-4-rollout-done');

      // The histories come back through the server from PostgreSQL; nothing was installed or restarted twice.
      const ids = [id, `${id}/${first!.id}`, childId];
      const files = await saveHistories({ temporal: t }, 'production-bed', ids);
      // PostgreSQL went away while that start ran (its start and completion events bracket the restart).
      const startWindow = activityWindow(await readFile(files[2]!, 'utf8'), 'startGateway');
      expect(startWindow.started).toBeLessThan(pgRestartAt);
      expect(startWindow.completed).toBeGreaterThan(pgRestartAt);
      for (const f of files.slice(1)) {
        const attempts = activityAttempts(await readFile(f, 'utf8'));
        // The steps that change the host each ran once, in their first attempt: nothing was done twice.
        for (const name of ['stopGateway', 'installVersion', 'startGateway'])
          expect(attempts[name], `${f}: ${name}`).toEqual([1]);
        // The canary said the new release migrates the state when it starts: no doctor --fix in the window.
        expect(attempts.runDoctorFix, `${f}: runDoctorFix`).toBeUndefined();
      }
      // Every command of the namespaced instance went to its host's queue and was taken by a worker in the
      // namespace; the rest (the load balancer's calls) went to the central queue, none of the host's.
      const starts = activityStarts(await readFile(files[2]!, 'utf8'));
      const hostIdentities = hostWorkerPids.map((pid) => new RegExp(`^${pid}@`));
      const onHost = starts.filter((s) => s.taskQueue === queue);
      expect(onHost.map((s) => s.activity)).toEqual(
        expect.arrayContaining(['installVersion', 'startGateway', 'gatewayStatus']),
      );
      for (const s of onHost)
        expect(
          hostIdentities.some((r) => r.test(s.identity)),
          `${s.activity} by ${s.identity}`,
        ).toBe(true);
      const central = starts.filter((x) => x.taskQueue !== queue);
      for (const s of central) expect(s.taskQueue, s.activity).toBe('openclaw-rollout-production');
      const hostActivities = new Set(onHost.map((s) => s.activity));
      expect(central.map((s) => s.activity).filter((a) => hostActivities.has(a))).toEqual([]);
      const psql = await execa(
        join(postgresBinDir(), 'psql'),
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(t.postgres.port),
          '-U',
          t.postgres.user,
          '-d',
          'temporal',
          '-Atc',
          `select workflow_id from current_executions where workflow_id like '${id}%' order by workflow_id`,
        ],
        { env: { PGPASSWORD: (await readFile(t.postgres.passwordFile, 'utf8')).trim() } },
      );
      expect(psql.stdout.split('\n')).toEqual(expect.arrayContaining(ids));
      const sources = await Promise.all(files.map(async (f) => ({ source: f, text: await readHistoryText(f) })));
      const secrets = [
        ...(await heldSecrets(info)),
        { label: 'PostgreSQL password', value: (await readFile(t.postgres.passwordFile, 'utf8')).trim() },
      ];
      expect(findSecrets(sources, secrets)).toEqual([]);
    } finally {
      await client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
      for (const g of inventory.instances) await createLoadBalancer(inventory.loadBalancer).ready(g.lbServer);
    }
  },
  20 * 60_000,
);
