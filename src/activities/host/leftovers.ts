/**
 * Programs a dead worker left running. A program runs in its own process group (exec.ts), so a worker
 * killed with SIGKILL cannot take it along; the step's retry on another worker would then start a second
 * one beside the first (two `backup create` writing archives, two restores moving the state). An
 * operation that must run once per instance at a time is tagged in its environment (OPERATION_ENV,
 * inherited by its children), and before it starts again every process still carrying the same tag is
 * stopped: TERM, then KILL after the grace period. Linux only (/proc); elsewhere it finds nothing.
 */
import { readdir, readFile } from 'node:fs/promises';

export const OPERATION_ENV = 'OPENCLAW_ROLLOUT_OPERATION';

/** The processes whose environment carries `OPERATION_ENV=<tag>`. */
export async function taggedProcesses(tag: string): Promise<number[]> {
  const marker = `${OPERATION_ENV}=${tag}\0`;
  const found: number[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.includes(marker)) found.push(Number(pid));
  }
  return found;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
};

/** Stops every process tagged `tag` (TERM, then KILL after `graceMs`); returns the pids it found. */
export async function stopLeftovers(tag: string, graceMs = 5000): Promise<number[]> {
  const found = await taggedProcesses(tag);
  if (!found.length) return [];
  for (const pid of found) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await taggedProcesses(tag)).length) await new Promise((r) => setTimeout(r, 200));
  for (const pid of await taggedProcesses(tag)) signal(pid, 'SIGKILL');
  return found;
}
