/**
 * The options of every workflow the CLI starts, typed by the workflow function itself (its arguments
 * and result are checked), with ids from src/shared/ids.ts, on the central task queue the worker serves
 * (centralQueue: TEMPORAL_TASK_QUEUE, else the inventory's). Pure: unit-tested without a server.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import type { Device, Instance, Inventory } from '../shared/inventory.js';
import { policyCountsLine } from '../shared/counts.js';
import { checkWorkflowId, repairWorkflowId, rolloutWorkflowId } from '../shared/ids.js';
import { cliLine, type OperatorCommand } from '../shared/operator-command.js';
import { CLUSTER_KEY, PHASE_KEY } from '../shared/search-attributes.js';
import type { TakeUp } from '../shared/take-up.js';
import { centralQueue } from '../shared/task-queues.js';
import type { clusterPreflight, clusterRollout, deviceDiagnosis, emergencyRepair } from '../workflows/index.js';

type Env = Readonly<Record<string, string | undefined>>;

export type PreflightReport = Awaited<ReturnType<typeof clusterPreflight>>;
export type InstanceDeviceFacts = Awaited<ReturnType<typeof deviceDiagnosis>>[number];

/** The inventory as the workflows see it: its task queue is the one the worker serves. */
export function withCentralQueue(inventory: Inventory, env: Env): Inventory {
  return { ...inventory, temporal: { ...inventory.temporal, taskQueue: centralQueue(inventory, env) } };
}

export interface RolloutRequest {
  target: string;
  startedBy: string;
  force: boolean;
  /** The namespace has the Openclaw* search attributes registered. */
  searchAttributes: boolean;
  /** How the operator runs the CLI (the workflows' hints name it); absent: the checkout's form. */
  invokedAs?: OperatorCommand;
  /** What the cluster's last rollout left out of traffic (cli/last-rollout.ts): the rollout takes it up. */
  takeUp?: TakeUp[];
}

/** `start`: the cluster's rollout (one at a time: the id is the lock). */
export function rolloutStart(
  inventory: Inventory,
  request: RolloutRequest,
  env: Env,
): WorkflowStartOptions<typeof clusterRollout> {
  const { target, startedBy, force, searchAttributes, invokedAs } = request;
  const queued = withCentralQueue(inventory, env);
  return {
    taskQueue: queued.temporal.taskQueue,
    workflowId: rolloutWorkflowId(inventory.cluster),
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    // Shown by the Web UI under Summary / Details.
    staticSummary: `Rollout of ${inventory.cluster} to ${target}, started by ${startedBy}`,
    staticDetails: `Instances in order: ${inventory.instances.map((i) => i.id).join(', ')} (${policyCountsLine(inventory.policy, inventory.instances.length)}). Approve each from Send a Signal → approveRejoin, or \`${cliLine(invokedAs, 'approve')}\`.`,
    ...(searchAttributes
      ? {
          typedSearchAttributes: [
            { key: CLUSTER_KEY, value: inventory.cluster },
            { key: PHASE_KEY, value: 'Preflight' },
          ],
        }
      : {}),
    args: [
      {
        inventory: queued,
        targetVersion: target,
        startedBy,
        ...(searchAttributes ? { searchAttributes } : {}),
        ...(force ? { force: true } : {}),
        ...(invokedAs ? { operatorCommand: invokedAs } : {}),
        ...(request.takeUp?.length ? { takeUp: request.takeUp } : {}),
      },
    ],
  };
}

/** `preflight`, `plan`, `start`: the read-only checks, with the target when there is one. */
export function preflightStart(
  inventory: Inventory,
  purpose: string,
  target: string | undefined,
  env: Env,
  nowMs = Date.now(),
  takeUp: TakeUp[] = [],
): WorkflowStartOptions<typeof clusterPreflight> {
  const queued = withCentralQueue(inventory, env);
  return {
    taskQueue: queued.temporal.taskQueue,
    workflowId: checkWorkflowId(inventory.cluster, purpose, nowMs),
    args: [
      {
        inventory: queued,
        ...(target ? { targetVersion: target } : { checks: true }),
        ...(purpose === 'plan' ? { releaseJump: true } : {}),
        ...(takeUp.length ? { takeUp } : {}),
      },
    ],
    workflowExecutionTimeout: '10m',
  };
}

/** `repair`: the emergency repair of one device, started by hand. */
export function repairStart(
  inventory: Inventory,
  instance: Instance,
  device: Device,
  startedBy: string,
  env: Env,
  invokedAs?: OperatorCommand,
): WorkflowStartOptions<typeof emergencyRepair> {
  const taskQueue = centralQueue(inventory, env);
  return {
    taskQueue,
    workflowId: repairWorkflowId({ cluster: inventory.cluster }, instance.id, device.deviceId),
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [
      {
        cluster: inventory.cluster,
        instance,
        device,
        policy: inventory.policy,
        taskQueue,
        reason: `started by hand by ${startedBy}`,
        startedBy,
        ...(invokedAs ? { operatorCommand: invokedAs } : {}),
        ...(inventory.notifications ? { notifications: inventory.notifications, uiUrl: inventory.temporal.uiUrl } : {}),
      },
    ],
  };
}

/** `diagnose`: what every instance knows about one device since `sinceMs`. */
export function diagnosisStart(
  inventory: Inventory,
  deviceId: string,
  sinceMs: number,
  env: Env,
  nowMs = Date.now(),
): WorkflowStartOptions<typeof deviceDiagnosis> {
  const taskQueue = centralQueue(inventory, env);
  return {
    taskQueue,
    workflowId: checkWorkflowId(inventory.cluster, 'diagnose', nowMs),
    args: [
      {
        cluster: inventory.cluster,
        instances: inventory.instances,
        policy: inventory.policy,
        taskQueue,
        deviceId,
        sinceMs,
      },
    ],
    workflowExecutionTimeout: '10m',
  };
}
