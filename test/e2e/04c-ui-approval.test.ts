/**
 * Approving from the Temporal Web UI, the way an operator does it: a headless chromium opens the dev
 * server's Web UI on a rollout waiting for approval, reads the instance's "Current Details", sends
 * `approveRejoin` through "More Actions → Send a Signal" (picked from the dropdown, which must list it
 * with its description), and HAProxy then shows the instance back in traffic.
 *
 * The rollout covers one instance (one that no paired client calls home, so its drain and restart
 * disturb no client) and reinstalls the release it already runs: the bed stays on the from-version.
 * Screenshots land in test-artifacts/screenshots/ (the README's copies in docs/screenshots/ come from it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { serverState, showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import type { Instance, Inventory } from '../../src/shared/inventory.js';
import { run as starter } from '../../src/starter.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { APPROVE_DESCRIPTION, REJECT_DESCRIPTION } from '../../src/shared/messages/rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { bed, startWorker } from '../bed/context.js';
import { waitForInstancePhase } from '../bed/wait.js';
import { TemporalUi } from '../helpers/temporal-ui.js';

const CLUSTER = 'bed-ui';

let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;
let ui: TemporalUi;

beforeAll(async () => {
  ({ info, inventory } = await bed());
  // The worker must run while the UI is open: the dialog lists signals by querying the live workflow.
  w = await startWorker(info, inventory.temporal.taskQueue);
  ui = await TemporalUi.launch(info.temporal.uiUrl, info.temporal.namespace);
});
afterAll(async () => {
  await ui?.close();
  await w?.stop();
});

/** The bed inventory cut down to `instance`, as its own cluster, with short waits (nothing to drain). */
async function oneInstanceInventory(instance: Instance): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string }[];
    policy: Record<string, unknown>;
  };
  raw.cluster = CLUSTER;
  raw.instances = raw.instances.filter((i) => i.id === instance.id);
  raw.policy = { ...raw.policy, drainDeadline: '5s', mismatchWindow: '3s', reconnectDeadline: '10s' };
  const file = join(info.dir, 'cluster-ui-approval.yaml');
  await writeFile(file, toYaml(raw));
  return file;
}

it('approves a waiting instance with "Send a Signal" in the Web UI; it rejoins HAProxy and the rollout completes', async () => {
  const instance = inventory.instances.find((i) => i.devices.length === 0);
  if (!instance)
    throw new Error(
      'every bed gateway is home to a paired client; this test needs one that is not (its restart would move the client)',
    );
  const file = await oneInstanceInventory(instance);
  const id = rolloutWorkflowId(CLUSTER);
  const childId = `${id}/${instance.id}`;
  const decision = { instance: instance.id, approver: 'ui-test', comment: 'approved in the browser' };
  const lbServer = () => serverState(info.haproxy.socket, info.haproxy.backend, instance.lbServer);

  const lines: string[] = [];
  expect(
    await starter(
      ['start', '--inventory', file, '--target', info.fromVersion, '--by', 'ui-test-starter', '--force'],
      (s) => lines.push(s),
    ),
    lines.join('\n'),
  ).toBe(0);
  try {
    await waitForInstancePhase(w.client, id, instance.id, 'AwaitingApproval', 8 * 60_000);
    expect((await lbServer()).admin).toBe('drain');

    // The rollout's page names the instance's child workflow, whose page says what to check and how to approve.
    await ui.openWorkflow(id);
    expect(await (await ui.currentDetails()).innerText()).toContain(childId);
    await ui.openWorkflow(childId);
    expect(await ui.workflowStatus()).toBe('Running');
    const details = await (await ui.currentDetails()).innerText();
    expect(details).toContain(`${instance.id} waits for your approval to rejoin traffic`);
    expect(details).toContain('Send a Signal approveRejoin');
    await ui.screenshot('ui-approval-1-current-details');

    const dialog = await ui.openSignalDialog();
    const listed = await dialog.listSignals();
    expect(listed).toContainEqual({ name: 'approveRejoin', description: APPROVE_DESCRIPTION });
    expect(listed).toContainEqual({ name: 'rejectRejoin', description: REJECT_DESCRIPTION });
    await ui.screenshot('ui-approval-2-signal-list');
    await dialog.chooseSignal('approveRejoin');
    await dialog.enterInput(JSON.stringify(decision));
    await ui.screenshot('ui-approval-3-signal-input');
    await dialog.submit();

    // What the operator checks next: the instance is back in traffic.
    await expect
      .poll(
        async () => {
          const s = await lbServer();
          return `${s.admin} ${s.status}`;
        },
        { timeout: 2 * 60_000, interval: 500 },
      )
      .toBe('ready UP');
    const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
    expect(report.outcome).toBe('done');
    expect(report.instances.find((i) => i.instance === instance.id)?.decision).toMatchObject({
      kind: 'approve',
      ...decision,
    });

    await ui.openWorkflow(id);
    expect(await ui.workflowStatus()).toBe('Completed');
    // The iframe's markdown renders a moment after its body appears (CI once read it blank): poll.
    const finalDetails = await ui.currentDetails();
    await expect
      .poll(() => finalDetails.innerText(), { timeout: 20_000, interval: 500 })
      .toContain(`Done: all 1 instances run ${info.fromVersion}`);
    await ui.screenshot('ui-approval-4-rollout-done');
  } finally {
    // Whatever happened above, leave no rollout running and the instance in traffic for the next file.
    await w.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
    await createLoadBalancer(inventory.loadBalancer).ready(instance.lbServer);
  }

  // The bed as this file found it: every gateway in traffic.
  const rows = await showStat(info.haproxy.socket);
  for (const g of info.gateways)
    expect(rows.find((r) => r.backend === info.haproxy.backend && r.server === g.lbServer)?.status, g.lbServer).toBe(
      'UP',
    );
});
