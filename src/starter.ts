/**
 * Entry point of the operator CLI in a checkout (`npm run starter -- <command>`, the same as the installed
 * `openclaw-rollout <command>` of src/bin.ts; see --help). The commands live in src/cli/; `run` and
 * `connectClient` are exported here for the tests and scripts that drive it in-process.
 */
import { fileURLToPath } from 'node:url';
import { runAsProcess } from './cli/main.js';

export { run } from './cli/main.js';
export { connectClient } from './cli/client.js';
export { UsageError, type RunIo } from './cli/command.js';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void runAsProcess(process.argv.slice(2));
