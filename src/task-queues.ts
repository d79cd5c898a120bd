/**
 * Task queue names, shared by worker, starter and workflows (workflow-safe: no I/O). Host-bound
 * activities of an instance run on its host's queue, so its commands run where its gateway lives.
 */
import type { Instance, Inventory } from './inventory.js';

/** The queue of the central worker (workflows and non-host activities). */
export const centralQueue = (inventory: Pick<Inventory, 'temporal'>) => inventory.temporal.taskQueue;

/** The queue that runs `instance`'s CLI calls and hooks: its host's queue, or the central one. */
export const hostQueue = (base: string, host: string) => `${base}@${host}`;

export const instanceQueue = (baseQueue: string, instance: Pick<Instance, 'host'>) => (instance.host ? hostQueue(baseQueue, instance.host) : baseQueue);
