/** One run of the floor workflow (bench/floor-workflow.ts) on a fresh bench worker: wall time of `steps` no-op activities. */
import type { BenchContext } from './context.js';
import { startBenchWorker } from './worker-handle.js';

export async function runFloor(ctx: BenchContext, steps: number): Promise<{ steps: number; wallMs: number }> {
  const name = ctx.nextName(`floor${steps}`);
  const worker = await startBenchWorker({ address: ctx.server.address, taskQueue: name, bundlePath: ctx.bundlePath });
  try {
    const started = Date.now();
    const done: unknown = await ctx.client.workflow.execute('floorWorkflow', {
      taskQueue: name,
      workflowId: name,
      args: [steps],
    });
    const wallMs = Date.now() - started;
    if (done !== steps) throw new Error(`the floor workflow ran ${String(done)} steps, expected ${steps}`);
    const ran = await worker.activityCount();
    if (ran !== steps) throw new Error(`the floor worker ran ${ran} activities, expected ${steps}`);
    return { steps, wallMs };
  } finally {
    await worker.stop();
  }
}
