/**
 * Entry point of the worker (`npm run worker -- --inventory cluster.yaml [--host h1]`, see --help). The
 * worker lives in src/worker/; `createWorker` and `workflowsPath` are exported here for tests, bench and scripts.
 */
import { fileURLToPath } from 'node:url';
import { runAsProcess } from './worker/main.js';

export { createWorker, workflowsPath, workerTaskQueue, type WorkerSetup } from './worker/main.js';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void runAsProcess(process.argv.slice(2));
