/**
 * No event is counted twice: a workflow records an event through the SDK's workflow metric meter once,
 * even when its history is replayed. The worker here caches no workflow (maxCachedWorkflows 0), so every
 * workflow task replays the whole history first, as after a worker restart or on another worker; the
 * counter must still add up to the number of events, not to the number of times they were replayed.
 */
import { Client, Connection } from '@temporalio/client';
import { MetricsBuffer, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../src/shared/metrics.js';
import { projectRoot } from '../bed/tools.js';
import { quietLogger } from '../helpers/quiet-logger.js';
import { startDevServer, type TestServer } from '../helpers/temporal-server.js';

const metrics = new MetricsBuffer();
let server: TestServer;

beforeAll(async () => {
  Runtime.install({ logger: quietLogger, telemetryOptions: { metrics: { buffer: metrics } } });
  server = await startDevServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('workflow metrics on replay', () => {
  it('counts each event once although every workflow task replays the history before it', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection,
      taskQueue: 'metric-events',
      workflowsPath: join(projectRoot, 'test/fixtures/workflows/metric-events.ts'),
      maxCachedWorkflows: 0,
    });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    await worker.runUntil(
      client.workflow.execute('metricEvents', { taskQueue: 'metric-events', workflowId: 'metric-events', args: [4] }),
    );
    await connection.close();
    await client.connection.close();
    const updates = [...metrics.retrieveUpdates()];
    // The histories were replayed (the SDK's replay latency was recorded for workflow tasks after the first).
    expect(updates.filter((u) => u.metric.name.endsWith('workflow_task_replay_latency')).length).toBeGreaterThan(2);
    const rollbacks = updates.filter((u) => u.metric.name === METRICS.rollbacks.name);
    expect(rollbacks.reduce((sum, u) => sum + u.value, 0)).toBe(4);
    expect(rollbacks[0]?.attributes).toMatchObject({ cluster: 'replayed', openclaw_instance: 'gw-1' });
  }, 120_000);
});
