/**
 * The one place that decides how the operator runs this CLI (src/shared/operator-command.ts), from the
 * script this process runs: the installed bin (`openclaw-rollout` on PATH links to the package's
 * dist/bin.js) or, anything else, a checkout's `npm run starter --` (tsx src/starter.ts; the tests that run
 * the CLI in-process).
 */
import { basename } from 'node:path';
import { CHECKOUT_COMMAND, INSTALLED_COMMAND, type OperatorCommand } from '../shared/operator-command.js';

export function operatorCommand(script: string | undefined = process.argv[1]): OperatorCommand {
  if (!script) return CHECKOUT_COMMAND;
  const installed = basename(script) === INSTALLED_COMMAND || /[\\/]dist[\\/]bin\.js$/.test(script);
  return installed ? INSTALLED_COMMAND : CHECKOUT_COMMAND;
}
