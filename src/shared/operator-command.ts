/**
 * How the operator runs this tool, as hints, notifications and the Web UI's current details name it:
 * the installed package's bin, or the npm script of a checkout. The CLI decides it once
 * (src/cli/operator-command.ts) and hands it to the workflows in their input; histories from before
 * the field have none and read as they did (the checkout's form). Workflow-safe: no I/O.
 */
export const INSTALLED_COMMAND = 'openclaw-rollout';
export const CHECKOUT_COMMAND = 'npm run starter --';

export type OperatorCommand = typeof INSTALLED_COMMAND | typeof CHECKOUT_COMMAND;

/** `<how the operator runs it> <rest>`, e.g. `openclaw-rollout approve --instance gw-2 ...`. */
export function cliLine(command: OperatorCommand | undefined, rest: string): string {
  return `${command === INSTALLED_COMMAND ? INSTALLED_COMMAND : CHECKOUT_COMMAND} ${rest}`;
}
