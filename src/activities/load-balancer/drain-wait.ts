/**
 * Waiting for a drained server to empty: poll its open session count until it is zero or the deadline
 * passes, for any load-balancer adapter.
 */
import { pause } from '../call-context.js';

/** Options of waitForZeroSessions. */
export interface DrainWaitOptions {
  /** How long to wait at most, in ms from the call. */
  deadlineMs: number;
  /** Pause between two polls, in ms. */
  pollMs: number;
  /** Aborts the wait; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Called after every poll with the open session count (heartbeat to Temporal here). */
  onProgress?: (sessions: number) => void;
}

/** Outcome of a drain wait. */
export interface DrainWaitResult {
  /** Whether the server reached zero sessions before the deadline. */
  drained: boolean;
  /** Sessions seen at the last poll. */
  sessions: number;
  /** Time spent waiting, in ms. */
  waitedMs: number;
}

/**
 * Polls `sessions()` until it says zero. At the deadline it returns `drained: false` with the last
 * count (it does not throw); a failed poll throws (TransientError etc.).
 */
export async function waitForZeroSessions(
  sessions: () => Promise<number>,
  options: DrainWaitOptions,
): Promise<DrainWaitResult> {
  const { deadlineMs, pollMs, signal, onProgress } = options;
  const started = performance.now();
  for (;;) {
    const open = await sessions();
    onProgress?.(open);
    const waitedMs = Math.round(performance.now() - started);
    if (open === 0) return { drained: true, sessions: open, waitedMs };
    if (waitedMs >= deadlineMs) return { drained: false, sessions: open, waitedMs };
    await pause(Math.min(pollMs, deadlineMs - waitedMs), signal);
  }
}
