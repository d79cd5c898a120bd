/**
 * The environment for commands we run on the host (openclaw, npm, restart commands, hooks): this
 * process's environment without test-runner markers. openclaw changes behaviour when it sees VITEST*
 * (it prints nothing in `--json` mode), so a worker started from a test must not pass them on.
 */
const DROPPED = /^(VITEST|VITEST_.*|TEST|JEST_WORKER_ID|NODE_OPTIONS)$/;

export function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !DROPPED.test(k)) env[k] = v;
  return { ...env, ...extra };
}
