/**
 * Programs a dead worker left running (host/leftovers.ts): found by their operation tag, stopped before
 * the same operation starts again; programs with another tag, or none, are left alone.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { OPERATION_ENV, stopLeftovers, taggedProcesses } from '../../src/activities/host/leftovers.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A detached shell (its own group, as exec.ts starts programs) with a child, both carrying `tag`. */
function leftover(tag: string | undefined) {
  const child = execa('sh', ['-c', 'sleep 60 & wait'], {
    detached: true,
    reject: false,
    stdio: 'ignore', // a left sleep must not hold a pipe the test waits on
    env: tag ? { [OPERATION_ENV]: tag } : {},
  });
  return child;
}

describe('stopLeftovers', () => {
  it('stops every process of the tag (the program and its children) and leaves the others', async () => {
    const tag = `backup:/tmp/test-${process.pid}`;
    const mine = leftover(tag);
    const other = leftover(`${tag}-other`);
    const untagged = leftover(undefined);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the shells start their sleep
      const found = await taggedProcesses(tag);
      expect(found).toContain(mine.pid);
      expect(found.length).toBeGreaterThanOrEqual(2); // the shell and its sleep
      expect(await stopLeftovers(tag, 2000)).toEqual(found);
      await mine;
      expect(await taggedProcesses(tag)).toEqual([]);
      expect(alive(other.pid!)).toBe(true);
      expect(alive(untagged.pid!)).toBe(true);
    } finally {
      for (const c of [mine, other, untagged]) {
        try {
          process.kill(-c.pid!, 'SIGKILL'); // the whole group
        } catch {
          // Stopped already.
        }
      }
      await Promise.all([other, untagged]);
    }
  });

  it('finds nothing to stop when no program carries the tag', async () => {
    expect(await stopLeftovers(`nothing-${process.pid}`)).toEqual([]);
  });
});
