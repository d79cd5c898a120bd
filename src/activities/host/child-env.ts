/**
 * The environment for commands we run on the host (openclaw, npm, restart commands, hooks): this
 * process's environment without test-runner markers. openclaw changes behaviour when it sees VITEST*
 * (it prints nothing in `--json` mode), so a worker started from a test must not pass them on.
 */
// Also what `npm run` / `npx` put into the worker's own environment (lowercase npm_config_*, e.g.
// npm_config_prefix = the worker's Node, npm_package_*, INIT_CWD): context of the worker's launch, not
// the host's npm settings; `openclaw update` runs npm and would take them for its own.
const DROPPED =
  /^(VITEST|VITEST_.*|TEST|JEST_WORKER_ID|NODE_OPTIONS|npm_config_.*|npm_package_.*|npm_lifecycle_.*|npm_execpath|npm_node_execpath|npm_command|INIT_CWD)$/;

export function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !DROPPED.test(k)) env[k] = v;
  return { ...env, ...extra };
}
