/**
 * Hints, notifications and the Web UI's current details name the command the operator runs: the
 * installed `openclaw-rollout`, or a checkout's `npm run starter --`. The CLI decides it from the script
 * it runs, hands it to the workflows in their input, and a workflow without it (an older history) says
 * what it said before.
 */
import { describe, expect, it } from 'vitest';
import { operatorCommand } from '../../src/cli/operator-command.js';
import { queuedWords } from '../../src/cli/views/status-view.js';
import { repairStart, rolloutStart } from '../../src/cli/workflow-starts.js';
import { Inventory } from '../../src/shared/inventory.js';
import type { InstanceProgress } from '../../src/shared/messages/rollout.js';
import { CHECKOUT_COMMAND, INSTALLED_COMMAND, type OperatorCommand } from '../../src/shared/operator-command.js';
import { approvalQuestion, failureQuestion } from '../../src/workflows/instance/details.js';
import {
  awaitingApprovalNotice,
  outOfTrafficNotice,
  repairWaitingNotice,
  stepFailedNotice,
  type RolloutPlace,
} from '../../src/workflows/lib/notices.js';

const inventory = Inventory.parse({
  cluster: 'c',
  temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q' },
  loadBalancer: { type: 'none' },
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

describe('which command the operator runs', () => {
  it('is the installed bin when this process runs it (on PATH or the package file), else the checkout script', () => {
    expect(operatorCommand('/usr/local/bin/openclaw-rollout')).toBe('openclaw-rollout');
    expect(operatorCommand('/usr/local/lib/node_modules/openclaw-rollout/dist/bin.js')).toBe('openclaw-rollout');
    expect(operatorCommand('/home/op/openclaw-rollout/src/starter.ts')).toBe('npm run starter --');
    expect(operatorCommand('/home/op/openclaw-rollout/node_modules/vitest/dist/worker.js')).toBe('npm run starter --');
    expect(operatorCommand(undefined)).toBe('npm run starter --');
  });
});

const slot: InstanceProgress = {
  instance: 'gw-1',
  phase: 'AwaitingApproval',
  versionBefore: '2026.9.5',
  versionAfter: '2026.9.6',
  steps: [],
  ignored: [],
  approvalTimeouts: 0,
  failure: { step: 'restart', message: 'did not come back', at: 't' },
};
const place = (operatorCommand?: OperatorCommand): RolloutPlace => ({
  cluster: 'c',
  rolloutId: 'rollout-c',
  targetVersion: '2026.9.6',
  namespace: 'default',
  approvals: inventory.policy.approvals,
  now: 't',
  ...(operatorCommand ? { operatorCommand } : {}),
});

describe('notifications', () => {
  it('give the commands in the form the operator runs, and the checkout form for a rollout without it', () => {
    for (const [given, prefix] of [
      [INSTALLED_COMMAND, 'openclaw-rollout '],
      [CHECKOUT_COMMAND, 'npm run starter -- '],
      [undefined, 'npm run starter -- '],
    ] as const) {
      const commands = [
        ...awaitingApprovalNotice(place(given), slot).commands!,
        ...stepFailedNotice(place(given), slot).commands!,
        ...outOfTrafficNotice(place(given), slot, 't', 60_000).commands!,
      ];
      expect(commands.map((c) => c.slice(0, prefix.length))).toEqual(commands.map(() => prefix));
    }
    expect(awaitingApprovalNotice(place(INSTALLED_COMMAND), slot).commands![0]).toBe(
      'openclaw-rollout approve --inventory <cluster.yaml> --instance gw-1 --approver <you>',
    );
    const repair = (operatorCommand?: OperatorCommand) =>
      repairWaitingNotice({
        cluster: 'c',
        workflowId: 'w',
        namespace: 'default',
        instance: 'gw-1',
        label: 'op-1 (operator) on gw-1',
        deviceId: 'd1',
        requestId: 'r1',
        reason: 'why',
        now: 't',
        ...(operatorCommand ? { operatorCommand } : {}),
      }).commands!;
    expect(repair(INSTALLED_COMMAND)[0]).toBe(
      'openclaw-rollout approve-repair --inventory <cluster.yaml> --instance gw-1 --device d1 --approver <you>',
    );
    expect(repair()[0]).toMatch(/^npm run starter -- approve-repair /);
  });
});

describe("the Web UI's current details", () => {
  const question = (operatorCommand?: OperatorCommand) =>
    approvalQuestion({
      rolloutId: 'rollout-c',
      progress: slot,
      version: '2026.9.6',
      targetVersion: '2026.9.6',
      outcome: 'done',
      rotations: [],
      policy: inventory.policy,
      ...(operatorCommand ? { operatorCommand } : {}),
    });
  const failure = (operatorCommand?: OperatorCommand) =>
    failureQuestion({
      instance: 'gw-1',
      stepName: 'restart',
      message: 'did not come back',
      rejoined: false,
      failedPhase: 'Restarting',
      versionBefore: '2026.9.5',
      targetVersion: '2026.9.6',
      ...(operatorCommand ? { operatorCommand } : {}),
    });

  it('name the installed command when the rollout was started with it', () => {
    expect(question(INSTALLED_COMMAND)).toContain('or `openclaw-rollout approve --instance gw-1 --approver <you>`.');
    expect(failure(INSTALLED_COMMAND)).toContain(
      'or `openclaw-rollout decide --instance gw-1 --decision retry --by <you>`.',
    );
  });

  it('read as before in a history without the field', () => {
    expect(question()).toContain('or `npm run starter -- approve --instance gw-1 --approver <you>`.');
    expect(failure()).toContain('or `npm run starter -- decide --instance gw-1 --decision retry --by <you>`.');
  });
});

describe('the CLI', () => {
  it("hands the command to the rollout's and the repair's input, and names it in the Web UI's details", () => {
    const request = { target: '2026.9.6', startedBy: 'alice', force: false, searchAttributes: false };
    const installed = rolloutStart(inventory, { ...request, invokedAs: INSTALLED_COMMAND }, {});
    expect(installed.args[0].operatorCommand).toBe('openclaw-rollout');
    expect(installed.staticDetails).toContain('or `openclaw-rollout approve`.');
    expect(rolloutStart(inventory, request, {}).args[0].operatorCommand).toBeUndefined();
    expect(repairStart(inventory, instance, device, 'alice', {}, INSTALLED_COMMAND).args[0].operatorCommand).toBe(
      'openclaw-rollout',
    );
  });

  it("status names the worker command for a step no worker took, the checkout's in a checkout", () => {
    const queued = { activity: 'restartGateway', taskQueue: 'q@host-1', waitedMs: 9000 };
    expect(queuedWords(slot, queued, CHECKOUT_COMMAND)).toContain(
      'start on host-1: npm run starter -- worker --inventory <your inventory> --host host-1',
    );
    expect(queuedWords(slot, queued)).toContain('start on host-1: openclaw-rollout worker --inventory');
  });
});
