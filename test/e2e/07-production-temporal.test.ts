/**
 * The rollout on a production-shaped Temporal (test/bed/production-temporal.ts): the server on
 * PostgreSQL (schemas made by temporal-sql-tool), mTLS from the bed's CA, its own Web UI server. The
 * shared bed's own Temporal is the dev server, so this file attaches the production one to the bed's
 * supervisord (~10 s) unless the bed already runs it (OPENCLAW_ROLLOUT_BED_TEMPORAL=production).
 *
 * One short rollout over two gateways (the release they run, --force: no download) with the product's
 * worker and starter configured only by the inventory's temporal.tls block:
 *   - PostgreSQL is restarted while the instances install (together: batchSize 2, to keep the file short);
 *   - the Temporal server process is restarted while both wait for approval; then the first instance is
 *     approved by the starter over mTLS, the second in the Web UI server (headless chromium, "Send a
 *     Signal"), which reaches the server over mTLS;
 *   - both gateways end on the target and UP in HAProxy; no install or restart ran twice; the histories are
 *     read back from PostgreSQL through the server (and the rows are in PostgreSQL), and hold no secret.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import { connectClient } from '../../src/cli/client.js';
import { loadInventory } from '../../src/inventory-file.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { createWorker } from '../../src/worker.js';
import type { BedInfo } from '../bed/bed.js';
import { bed } from '../bed/context.js';
import { saveHistories } from '../bed/histories.js';
import { bedProductionTemporal, productionCliConnection, type ProductionTemporal } from '../bed/production-temporal.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { starterCli } from '../bed/starter.js';
import { Supervisor } from '../bed/supervisor.js';
import { postgresBinDir } from '../bed/tools.js';
import { pollUntil, waitForInstancePhase } from '../bed/wait.js';
import { temporalCli } from '../helpers/temporal-server.js';
import { TemporalUi } from '../helpers/temporal-ui.js';

const CLUSTER = 'bed-production';
let info: BedInfo;
let inventory: Inventory;
let prod: Awaited<ReturnType<typeof bedProductionTemporal>>;
let t: ProductionTemporal;
let file: string;
let client: Client;
let closeClient: () => Promise<void>;
let stopWorker: () => Promise<void>;
let ui: TemporalUi;

/**
 * The bed's inventory on the production Temporal (mTLS), cut to two gateways the node host does not call
 * home, rolled out together (batchSize 2) with short waits: nothing to drain or rotate there.
 */
async function productionInventory(): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string; devices: { role: string }[] }[];
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
  raw.instances = raw.instances
    .filter((i) => !i.devices.some((d) => d.role === 'node'))
    .sort((a, b) => a.devices.length - b.devices.length)
    .slice(0, 2);
  if (raw.instances.length < 2) throw new Error("the bed needs two gateways that are not the node host's home");
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

beforeAll(async () => {
  ({ info, inventory } = await bed());
  const attachStarted = Date.now();
  prod = await bedProductionTemporal(info);
  t = prod.temporal;
  if (prod.attached) console.log(`[production] attached in ${((Date.now() - attachStarted) / 1000).toFixed(1)} s`);
  file = await productionInventory();
  const { worker, connection } = await createWorker({
    inventoryPath: file,
    workflowBundlePath: join(info.dir, 'workflow-bundle.js'),
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
  const c = await connectClient(await loadInventory(file));
  client = c.client;
  closeClient = () => c.connection.close();
  ui = await TemporalUi.launch(t.uiUrl, t.namespace);
});
afterAll(async () => {
  await ui?.close();
  await stopWorker?.();
  await closeClient?.();
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

/** The fields of an exported history event (`temporal workflow show --output json`) read here. */
interface HistoryEvent {
  eventId: string;
  eventTime: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  activityTaskStartedEventAttributes?: { scheduledEventId: string; attempt?: number };
  activityTaskCompletedEventAttributes?: { scheduledEventId: string };
}

/** Activity starts in an exported history: name → attempts of each scheduled activity. */
function activityAttempts(historyJson: string): Record<string, number[]> {
  const events = (JSON.parse(historyJson) as { events: HistoryEvent[] }).events;
  const names = new Map<string, string>();
  const attempts: Record<string, number[]> = {};
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType.name);
    const started = e.activityTaskStartedEventAttributes;
    if (started) (attempts[names.get(String(started.scheduledEventId))!] ??= []).push(started.attempt ?? 1);
  }
  return attempts;
}

/** When the one run of activity `name` in an exported history started and completed (ms since epoch). */
function activityWindow(historyJson: string, name: string): { started: number; completed: number } {
  const events = (JSON.parse(historyJson) as { events: HistoryEvent[] }).events;
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === name);
  const at = (pick: (e: HistoryEvent) => string | undefined) =>
    Date.parse(events.find((e) => pick(e) === scheduled?.eventId)?.eventTime ?? 'none');
  return {
    started: at((e) => e.activityTaskStartedEventAttributes?.scheduledEventId),
    completed: at((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId),
  };
}

it(
  'rolls out on PostgreSQL + mTLS through a server restart and a PostgreSQL restart; approvals from the starter and the Web UI server',
  async () => {
    const sup = new Supervisor(info.dir);
    const [first, second] = (await loadInventory(file)).instances;
    const running = (await oc.gatewayStatus(first!.gateway, { timeoutMs: 60_000 })).version!;
    const id = rolloutWorkflowId(CLUSTER);
    const started = Date.now();
    const start = await starterCli('start', '--inventory', file, '--target', running, '--by', 'prod-test', '--force');
    expect(start.code, start.out).toBe(0);
    try {
      // PostgreSQL goes away while the instances install (both at once: batchSize 2), and comes back.
      // (The child's pending activities say when its install runs: the parent's progress hears of phases only.)
      await pollUntil(
        `${second!.id}'s install (installVersion) running`,
        async () => {
          const d = await client.workflow.getHandle(`${id}/${second!.id}`).describe();
          return (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'installVersion');
        },
        8 * 60_000,
        250,
      );
      const pgRestartAt = Date.now();
      await sup.ctl('restart', 'postgresql');
      await waitForInstancePhase(client, id, first!.id, 'AwaitingApproval', 8 * 60_000);
      await waitForInstancePhase(client, id, second!.id, 'AwaitingApproval', 8 * 60_000);
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

      // The Web UI server (over mTLS to the frontend) sends the approval as a signal.
      await ui.openWorkflow(`${id}/${second!.id}`);
      expect(await ui.workflowStatus()).toBe('Running');
      const dialog = await ui.openSignalDialog();
      // The dropdown lists the workflow's signals: the UI server queried the running workflow over mTLS.
      expect((await dialog.listSignals()).map((l) => l.name)).toContain('approveRejoin');
      await dialog.chooseSignal('approveRejoin');
      await dialog.enterInput(
        JSON.stringify({ instance: second!.id, approver: 'bob', comment: 'from the Web UI server' }),
      );
      await ui.screenshot('production-ui-approval');
      await dialog.submit();

      const report = (await client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      const wallSeconds = (Date.now() - started) / 1000;
      console.log(`[production] rollout of 2 instances took ${wallSeconds.toFixed(1)} s`);
      expect(report.outcome).toBe('done');
      expect(report.instances.find((i) => i.instance === first!.id)?.decision).toMatchObject({ approver: 'alice' });
      expect(report.instances.find((i) => i.instance === second!.id)?.decision).toMatchObject({ approver: 'bob' });
      const rows = await showStat(info.haproxy.socket);
      for (const i of [first!, second!]) {
        expect(rows.find((r) => r.server === i.lbServer)?.status, i.lbServer).toBe('UP');
        expect((await oc.gatewayStatus(i.gateway, { timeoutMs: 60_000 })).version).toBe(running);
      }

      // The histories come back through the server from PostgreSQL; nothing was installed or restarted twice.
      const ids = [id, `${id}/${first!.id}`, `${id}/${second!.id}`];
      const files = await saveHistories({ temporal: t }, 'production-bed', ids);
      // PostgreSQL went away while that install ran (its start and completion events bracket the restart).
      const installWindow = activityWindow(await readFile(files[2]!, 'utf8'), 'installVersion');
      expect(installWindow.started).toBeLessThan(pgRestartAt);
      expect(installWindow.completed).toBeGreaterThan(pgRestartAt);
      for (const f of files.slice(1)) {
        const attempts = activityAttempts(await readFile(f, 'utf8'));
        // The steps that change the host each ran once, in their first attempt: nothing was done twice.
        for (const name of ['stopGateway', 'installVersion', 'runDoctorFix', 'startGateway'])
          expect(attempts[name], `${f}: ${name}`).toEqual([1]);
      }
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
