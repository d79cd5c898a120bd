/**
 * Worker settings chosen on purpose rather than left at the SDK's defaults.
 *
 * stickyQueueScheduleToStartTimeout: a workflow task for a workflow a worker has cached goes to that
 * worker's own ("sticky") queue first, and only after this timeout may any worker take it from the normal
 * queue. The SDK's 10 s default is how long a rollout stands still after its worker dies (SIGKILL, a lost
 * host): an approval sent just then waited 10.3 s (docs/benchmarks.md, section 3). Our workflow tasks take
 * milliseconds, so a worker that has not picked up its sticky task within 2 s is dead or swamped; the
 * price of a miss is one replay of the workflow's history on another worker, which continue-as-new keeps
 * short (src/workflows/rollout/handover.ts).
 */
export const workerTuning = {
  stickyQueueScheduleToStartTimeout: '2s',
} as const;
