/**
 * What every plain activity function gets from its Temporal wrapper (activity-wrap.ts): a time limit
 * per command, the activity's cancellation signal and a heartbeat; and the one way they wait between
 * two polls, which a cancel interrupts.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface CallContext {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called while a long wait goes on (activities heartbeat from it). */
  heartbeat?: (details?: unknown) => void;
}

/** Waits `ms`; rejects with `signal.reason` (not a generic AbortError) when the signal aborts first. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
