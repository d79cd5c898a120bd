/**
 * Entry point of the worker in a checkout (`npm run worker -- --inventory cluster.yaml [--host h1]`, the
 * same as `openclaw-rollout worker ...`; see --help). The worker lives in src/worker/, its command line in
 * src/cli/commands/worker.ts; `createWorker` and `workflowsPath` are exported here for tests, bench and scripts.
 */
import { fileURLToPath } from 'node:url';
import { runAsProcess } from './cli/main.js';

export { createWorker, workflowsPath, workerTaskQueue, type WorkerSetup } from './worker/main.js';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  void runAsProcess(['worker', ...process.argv.slice(2)]);
