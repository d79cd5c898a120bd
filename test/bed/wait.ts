/**
 * Polling helpers the e2e tests share: wait for a condition with a deadline and a message that says
 * what was awaited, and wait for an instance of a rollout to reach a phase (failing fast if it fails).
 */
import type { Client } from '@temporalio/client';
import { liveProgress } from '../../src/cli/live-progress.js';
import type { RolloutProgress } from '../../src/shared/messages/rollout.js';
import { sleep } from './probes.js';

/**
 * Calls `probe` every `pollMs` until it returns a value other than undefined/false, and returns that
 * value. A probe that throws counts as "not yet" (a query while the worker or server restarts). Throws
 * after `timeoutMs` with `what` and the last error, if any.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  pollMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(pollMs);
  }
}

/**
 * Waits until `instance` of rollout `rolloutId` is in `phase` and returns the rollout's progress; throws
 * at once when the instance or the rollout fails meanwhile, with the instance's last step.
 */
export async function waitForInstancePhase(
  client: Client,
  rolloutId: string,
  instance: string,
  phase: string,
  timeoutMs: number,
): Promise<RolloutProgress> {
  const handle = client.workflow.getHandle(rolloutId);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let now: string | undefined;
  for (;;) {
    // A query can time out while the worker is busy (CI saw "query task not found, or already
    // expired" once a workflow completed): that is "not yet", not a failure.
    // As `status` reads it: the instances being rolled out now from their own query.
    const p = await liveProgress(handle).catch((err: unknown) => void (lastError = err));
    if (p) {
      const slot = p.instances.find((i) => i.instance === instance);
      now = slot?.phase;
      if (slot?.phase === phase) return p;
      if (slot?.phase === 'Failed' || p.phase === 'Failed')
        throw new Error(`rollout failed while waiting for ${instance} ${phase}: ${JSON.stringify(slot?.steps.at(-1))}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${instance} did not reach ${phase} within ${timeoutMs / 1000} s (now ${now}${lastError ? `; last query error: ${(lastError as Error).message}` : ''})`,
      );
    }
    await sleep(1000);
  }
}
