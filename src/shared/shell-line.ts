/**
 * Command lines an operator can paste into a POSIX shell: each argument quoted when it needs it.
 * Workflow-safe (no I/O): the workflows' hints ("start it by hand: …") and the host's command runner
 * (activities/host/exec.ts, which also redacts secrets) quote the same way.
 */

/** One argument quoted for a POSIX shell (left bare when it needs no quoting). */
export const shellQuote = (arg: string) =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/** `argv` as one line a POSIX shell runs the same way. */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
