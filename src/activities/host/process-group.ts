/**
 * The process groups of programs still running when this worker exits. They run in their own group
 * (so that a timeout can stop all of it), which also means nothing stops them when the worker goes:
 * a worker that shuts down takes them with it here instead of leaving an install running unattended.
 */
const running = new Set<number>();
let hooked = false;

/** Remembers group `pid` until the returned function is called (when the program ended). */
export function killGroupOnExit(pid: number): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const group of running) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    });
  }
  running.add(pid);
  return () => running.delete(pid);
}
