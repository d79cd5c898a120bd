/**
 * One task queue for every reader: with TEMPORAL_TASK_QUEUE set, what the CLI starts (and what the
 * workflows it starts read from their input) goes where the worker listens; without it, the inventory's.
 */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../src/shared/inventory.js';
import { diagnosisStart, preflightStart, repairStart, rolloutStart } from '../../src/cli/workflow-starts.js';
import { workerTaskQueue } from '../../src/worker.js';

const inventory = Inventory.parse({
  cluster: 'c',
  temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'from-inventory' },
  loadBalancer: { type: 'haproxy', socket: '/run/haproxy.sock', backend: 'gw' },
  instances: [
    {
      id: 'gw-1',
      gateway: { stateDir: '/s', configPath: '/c.json' },
      lbServer: 'gw1',
      install: { type: 'global' },
      devices: [{ deviceId: 'd'.repeat(64), role: 'operator', scopes: ['operator.read'] }],
    },
  ],
});
const instance = inventory.instances[0]!;
const device = instance.devices[0]!;

/** Every queue the CLI's starts name, in their options and in their workflow input. */
function startQueues(env: Record<string, string | undefined>): string[] {
  const rollout = rolloutStart(
    inventory,
    { target: '2026.9.6', startedBy: 'alice', force: false, searchAttributes: false },
    env,
  );
  const preflight = preflightStart(inventory, 'plan', '2026.9.6', env);
  const repair = repairStart(inventory, instance, device, 'alice', env);
  const diagnosis = diagnosisStart(inventory, device.deviceId, 0, env);
  return [
    rollout.taskQueue,
    rollout.args[0].inventory.temporal.taskQueue,
    preflight.taskQueue,
    preflight.args[0].inventory.temporal.taskQueue,
    repair.taskQueue,
    repair.args[0].taskQueue,
    diagnosis.taskQueue,
    diagnosis.args[0].taskQueue,
  ];
}

describe('the task queue', () => {
  it('with TEMPORAL_TASK_QUEUE set, every start uses the queue the central worker serves', () => {
    const env = { TEMPORAL_TASK_QUEUE: 'from-env' };
    expect(workerTaskQueue(inventory, env)).toBe('from-env');
    expect(new Set(startQueues(env))).toEqual(new Set(['from-env']));
    expect(workerTaskQueue(inventory, env, 'h1')).toBe('from-env@h1');
  });

  it("without it, the inventory's temporal.taskQueue, for the worker and every start", () => {
    expect(workerTaskQueue(inventory, {})).toBe('from-inventory');
    expect(new Set(startQueues({}))).toEqual(new Set(['from-inventory']));
  });

  it('workflow ids come from the one place for ids, unchanged', () => {
    expect(
      rolloutStart(inventory, { target: '1', startedBy: 'a', force: false, searchAttributes: false }, {}).workflowId,
    ).toBe('rollout-c');
    expect(repairStart(inventory, instance, device, 'a', {}).workflowId).toBe(`repair-c/gw-1/${device.deviceId}`);
    expect(diagnosisStart(inventory, device.deviceId, 0, {}, 42).workflowId).toBe('c/diagnose/42');
  });
});
