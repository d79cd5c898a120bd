/**
 * The benchmark's worker, as its own process (so its memory can be read and it can be SIGKILLed like a
 * crashed worker): the prebuilt bundle of bench/workflows.ts and the no-op activities, on the task queue
 * given in the environment. Talks to the benchmark over Node's IPC channel:
 *   → {type:'ready'} once polling; {type:'activity', activity, workflowId, at} for the names in BENCH_NOTIFY;
 *   ← {type:'stats'} answered with {type:'stats', activities}; ← {type:'stop'} shuts down cleanly.
 */
import { loadPayloadProtection } from '../src/codec/data-converter.js';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createNoopActivities } from './noop-activities.js';
import { FROM_VERSION } from './fleet.js';
import { workerTuning } from '../src/worker/tuning.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`bench worker: ${name} is not set`);
  return v;
};
const send = (m: object) => process.send?.(m);
const notify = new Set((process.env.BENCH_NOTIFY ?? '').split(',').filter(Boolean));

Runtime.install({ logger: new DefaultLogger('ERROR') });
const noop = createNoopActivities(FROM_VERSION, (e) => {
  if (notify.has(e.activity)) send({ type: 'activity', ...e });
});
const connection = await NativeConnection.connect({ address: env('BENCH_ADDRESS') });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: env('BENCH_TASK_QUEUE'),
  workflowBundle: { codePath: env('BENCH_BUNDLE') },
  dataConverter: (await loadPayloadProtection({})).dataConverter,
  activities: { ...noop.activities, floorStep: noop.floorStep },
  ...workerTuning,
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') send({ type: 'stats', activities: noop.count() });
  if (m.type === 'stop') worker.shutdown();
});
const running = worker.run();
send({ type: 'ready' });
await running;
await connection.close();
process.exit(0);
