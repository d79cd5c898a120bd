/**
 * Starts and controls a bench worker process (bench/worker-process.ts): waits until it polls, forwards
 * its activity notifications, reads its peak memory (VmHWM from /proc) and kills it on demand.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ActivityEvent } from './noop-activities.js';

const entry = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface BenchWorker {
  pid: number;
  /** ms from spawning the process to the worker polling. */
  startMs: number;
  /** Activities this worker has run. */
  activityCount(): Promise<number>;
  /** Peak resident memory of the worker process so far, in bytes. */
  peakRssBytes(): Promise<number>;
  stop(): Promise<void>;
  /** SIGKILL, like a crashed host. */
  kill(): Promise<void>;
}

export async function startBenchWorker(opts: {
  address: string;
  taskQueue: string;
  bundlePath: string;
  notify?: string[];
  onActivity?: (e: ActivityEvent) => void;
}): Promise<BenchWorker> {
  const started = Date.now();
  const child: ChildProcess = fork(entry, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_ADDRESS: opts.address,
      BENCH_TASK_QUEUE: opts.taskQueue,
      BENCH_BUNDLE: opts.bundlePath,
      BENCH_NOTIFY: (opts.notify ?? []).join(','),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let statsWaiter: ((n: number) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; activities?: number } & ActivityEvent) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'activity') opts.onActivity?.(m);
      else if (m.type === 'stats') statsWaiter?.(m.activities!);
    });
    void exited.then((code) => reject(new Error(`the bench worker exited before it was ready (code ${code})`)));
  });
  const startMs = Date.now() - started;
  return {
    pid: child.pid!,
    startMs,
    activityCount: () =>
      new Promise<number>((resolve) => {
        statsWaiter = resolve;
        child.send({ type: 'stats' });
      }),
    async peakRssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (!kb) throw new Error('no VmHWM in /proc/<pid>/status');
      return Number(kb[1]) * 1024;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode) return;
      child.send({ type: 'stop' });
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
