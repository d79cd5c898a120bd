/**
 * The canary gateway's process: `openclaw gateway run` of the staged release on the copy, in a process
 * group of its own (host/exec.ts), polled over HTTP until `/readyz` 200 and `/startupz` names the
 * release, then stopped (TERM, KILL after the grace). Also the port it gets and the cleanup of a canary
 * a killed worker left behind.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { GatewayAccess } from '../../../shared/inventory.js';
import { pause, type CallContext } from '../../call-context.js';
import { execute } from '../../host/exec.js';
import { outputTail } from '../../host/npm-errors.js';
import { cliArgv, cliEnvironment } from '../cli.js';
import { startupVersion } from '../gateway.js';

export interface Boot {
  ready: boolean;
  /** Start to ready (or to the end when it never was). */
  readyMs: number;
  /** Its stdout and stderr. */
  output: string;
  /** What happened, in plain words with the tail of its output (for a message). */
  said: string;
}

/** Starts the canary and waits for it to be ready on `version`, until it exits or the deadline; always stops it. */
export async function bootUntilReady(
  canary: { access: GatewayAccess; httpUrl: string },
  version: string,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<Boot> {
  const stop = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
  const { argv } = await cliArgv(canary.access, { args: ['gateway', 'run'] });
  const started = Date.now();
  let exited = false;
  const run = execute({
    argv,
    env: cliEnvironment(canary.access).env,
    timeoutMs: ctx.readyDeadlineMs + 30_000,
    signal,
  });
  void run.finally(() => (exited = true));
  let seen: { ready: boolean; version: string | null } = { ready: false, version: null };
  while (!exited && Date.now() - started < ctx.readyDeadlineMs) {
    ctx.heartbeat?.({ step: 'canary', waitedMs: Date.now() - started });
    seen = await startupVersion(canary.httpUrl, signal);
    if (seen.ready && seen.version) break;
    await pause(250, ctx.signal);
  }
  const readyMs = Date.now() - started;
  stop.abort();
  const r = await run;
  ctx.signal?.throwIfAborted();
  const output = `${r.stdout}\n${r.stderr}`;
  const ready = seen.ready && seen.version === version;
  const why = ready
    ? `ready on ${version} after ${(readyMs / 1000).toFixed(1)} s`
    : seen.ready
      ? `ready, but on ${seen.version ?? 'an unknown version'}, not ${version}`
      : exited && !r.cancelled
        ? `exited with code ${r.exitCode ?? r.killedBy} after ${(readyMs / 1000).toFixed(1)} s`
        : `not ready after ${(readyMs / 1000).toFixed(1)} s`;
  return { ready, readyMs, output, said: `${why}; it said:\n${outputTail(r.stderr, r.stdout)}` };
}

/** A base port with base..base+110 free on loopback (a gateway derives its other ports from its own). */
export async function freePortRange(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    let free = true;
    for (let p = base; p <= base + 110 && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error('no free port range of 111 ports on 127.0.0.1 for the canary gateway');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Scratch dirs of earlier canaries of this instance (`<backups>/.canary-*`), and their gateways if a
 * killed worker left them running (found by their state dir in /proc/<pid>/environ; best effort).
 */
export async function removeLeftoverCanaries(backupDir: string): Promise<void> {
  const names = (await readdir(backupDir).catch(() => [] as string[])).filter((n) => n.startsWith('.canary-'));
  if (!names.length) return;
  const dirs = names.map((n) => join(backupDir, n));
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (dirs.some((d) => environ.includes(`OPENCLAW_STATE_DIR=${join(d, 'state')}\0`))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true, maxRetries: 3 });
}
