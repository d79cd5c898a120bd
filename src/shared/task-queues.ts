/**
 * Task queue names, shared by worker, starter and workflows (workflow-safe: no I/O). Host-bound
 * activities of an instance run on its host's queue, so its commands run where its gateway lives.
 */
import type { Instance, Inventory } from './inventory.js';

/**
 * The queue of the central worker (workflows and non-host activities): `TEMPORAL_TASK_QUEUE` when set,
 * else the inventory's `temporal.taskQueue`. Every reader (worker, starter, the workflows through their
 * input) takes it from here, so the worker never listens where nobody sends. `env` is passed in because
 * this module is workflow-safe (no `process`).
 */
export const centralQueue = (
  inventory: Pick<Inventory, 'temporal'>,
  env: Readonly<Record<string, string | undefined>> = {},
) => env.TEMPORAL_TASK_QUEUE || inventory.temporal.taskQueue;

/** The queue that runs `instance`'s CLI calls and hooks: its host's queue, or the central one. */
export const hostQueue = (base: string, host: string) => `${base}@${host}`;

export const instanceQueue = (baseQueue: string, instance: Pick<Instance, 'host'>) =>
  instance.host ? hostQueue(baseQueue, instance.host) : baseQueue;
