/**
 * The real worker as its own process (`src/worker.ts`, as operators run it), in its own process group
 * so a test can kill it the way a host crash or `systemctl kill` would: SIGKILL to the worker and every
 * command it started. Output goes to a log file in the bed.
 */
import { execa, type ResultPromise } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './probes.js';
import { node24Bin, projectRoot } from './tools.js';

export class WorkerProcess {
  private exited = false;

  private constructor(
    private readonly child: ResultPromise,
    readonly logFile: string,
  ) {
    void child.then(() => (this.exited = true));
  }

  /**
   * Starts `src/worker.ts --inventory <file> --workflow-bundle <bundle>` (or, with `host`, the host worker
   * `--inventory <file> --host <host>`) and waits until it serves. `wrap` puts a prefix before the argv
   * (e.g. `ip netns exec <ns>`); `env` adds variables (e.g. TEMPORAL_ADDRESS).
   */
  static async start(
    inventoryPath: string,
    bundlePath: string,
    logFile: string,
    opts: { host?: string; wrap?: (argv: string[]) => string[]; env?: Record<string, string> } = {},
  ): Promise<WorkerProcess> {
    const serving = (text: string) => text.split('worker serving task queue').length - 1;
    const before = serving(await readFile(logFile, 'utf8').catch(() => ''));
    const argv = [
      node24Bin(),
      '--import',
      'tsx',
      join(projectRoot, 'src/worker.ts'),
      '--inventory',
      inventoryPath,
      ...(opts.host ? ['--host', opts.host] : ['--workflow-bundle', bundlePath]),
    ];
    const [file, ...args] = opts.wrap ? opts.wrap(argv) : argv;
    const child = execa(file!, args, {
      cwd: projectRoot,
      detached: true, // own process group: kill() takes its commands down with it
      stdout: { file: logFile, append: true },
      stderr: { file: logFile, append: true },
      reject: false,
      env: { NO_COLOR: '1', ...opts.env },
    });
    const worker = new WorkerProcess(child, logFile);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (serving(await readFile(logFile, 'utf8').catch(() => '')) > before) break;
      if (worker.exited) throw new Error(`worker exited before serving; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`worker did not start serving within 120 s; see ${logFile}`);
      await sleep(250);
    }
    return worker;
  }

  /** Its process id (the SDK's default worker identity is `<pid>@<hostname>`). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGKILL to the worker's whole process group; resolves when it is gone. */
  async kill(): Promise<void> {
    if (this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.child;
  }

  /** A clean stop (SIGTERM: the SDK finishes in-flight work first). */
  async stop(): Promise<void> {
    if (this.child.pid && !this.exited) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await Promise.race([this.child, sleep(30_000).then(() => this.kill())]);
  }
}
