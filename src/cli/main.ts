/**
 * The operator CLI (`openclaw-rollout <command>`): the table of commands, argument parsing, --help
 * (overall and per command), --version, and how an outcome becomes an exit code: 0 ok, 1 the check found
 * problems or a call failed, 2 bad usage or invalid input (nothing changed). Each command (options, help,
 * handler) lives in commands/; the long-running processes (worker, codec-server) are rows of the same
 * table that parse their own options.
 */
import { parseArgs } from 'node:util';
import { RolloutError, ValidationError } from '../shared/errors.js';
import { loadInventory } from '../inventory-file.js';
import {
  COMMON_OPTIONS,
  OPTIONS,
  UsageError,
  isProcessCommand,
  type Command,
  type TableEntry,
  type OptionValues,
  type Out,
  type RunIo,
} from './command.js';
import { abort } from './commands/abort.js';
import { approve, reject } from './commands/approve.js';
import { approvalsServer } from './commands/approvals-server.js';
import { approveRepair, rejectRepair } from './commands/approve-repair.js';
import { codecServer } from './commands/codec-server.js';
import { decide } from './commands/decide.js';
import { diagnose } from './commands/diagnose.js';
import { pause, resume } from './commands/pause.js';
import { plan } from './commands/plan.js';
import { preflight } from './commands/preflight.js';
import { repair } from './commands/repair.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { validate } from './commands/validate.js';
import { worker } from './commands/worker.js';
import { packageVersion } from './version.js';
import { operatorCommand } from './operator-command.js';

/** Every command, in the order --help lists them. */
export const COMMANDS: readonly TableEntry[] = [
  worker,
  codecServer,
  validate,
  preflight,
  plan,
  start,
  status,
  approve,
  reject,
  decide,
  pause,
  resume,
  abort,
  diagnose,
  repair,
  approveRepair,
  rejectRepair,
  approvalsServer,
];

const USAGE = `Usage: openclaw-rollout <command> --inventory <cluster.yaml> [options]
       openclaw-rollout --version
       (in a checkout: npm run starter -- <command> ...)`;

const INTRO = `openclaw-rollout: rolling updates of OpenClaw Gateway clusters, with a human approval before
each instance returns to traffic (runbook "Cluster update and reload").`;

const COMMON_HELP = `Options:
  --inventory <file>  the cluster inventory (YAML or JSON)
  --json              machine-readable output
  -h, --help          this help (after a command: that command's help)

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY override the
inventory's temporal block, TEMPORAL_TASK_QUEUE its task queue (set it for the workers too).
OPENCLAW_ROLLOUT_CODEC_KEYS or OPENCLAW_ROLLOUT_CODEC_KEY_FILE encrypt payloads (the same keys as the workers).`;

export function overallHelp(): string {
  return `${INTRO}\n\n${USAGE}\n\nCommands:\n${COMMANDS.map((c) => c.help).join('\n')}\n\n${COMMON_HELP}`;
}

export function commandHelp(command: Command): string {
  const own = command.options.length ? command.options.map((o) => `--${o}`).join(' ') : 'none besides the common ones';
  return `Usage: openclaw-rollout ${command.name} --inventory <cluster.yaml> [options]\n\n${command.help}\n\n  its options: ${own}\n\n${COMMON_HELP}`;
}

/** Refuses an option the command does not take (e.g. `approve --target`), naming the ones it does. */
function refuseForeignOptions(command: Command, values: OptionValues): void {
  const taken = new Set([...COMMON_OPTIONS, ...command.options]);
  const foreign = Object.keys(values).filter((o) => !taken.has(o as keyof typeof OPTIONS));
  if (foreign.length) {
    const takes = command.options.length
      ? command.options.map((o) => `--${o}`).join(', ')
      : 'only --inventory and --json';
    throw new UsageError(
      `${command.name}: --${foreign[0]} is not an option of ${command.name} (it takes ${takes}; see openclaw-rollout ${command.name} --help)`,
    );
  }
}

/** The command line's options and positionals; an option no command takes is a usage error naming it. */
function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    const unknown =
      (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' &&
      /'([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown)
      throw new UsageError(`unknown option ${unknown} (see --help, and <command> --help for a command's options)`);
    throw err;
  }
}

/** Runs one command line. Bad usage and invalid input throw (see exitCode); anything else returns the exit code. */
export async function run(argv: string[], out: Out = console.log, io: RunIo = {}): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    out(packageVersion());
    return 0;
  }
  // A process command (worker, codec-server) parses its own options: everything after its name is its.
  const first = COMMANDS.find((c) => c.name === argv[0]);
  if (first && isProcessCommand(first)) return first.runArgs(argv.slice(1), out);
  const { values, positionals } = parse(argv);
  const [name] = positionals;
  if (!name) {
    out(overallHelp());
    return values.help ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (see --help)`);
  if (isProcessCommand(command)) {
    if (values.help) return command.runArgs(['--help'], out);
    throw new UsageError(`${name} takes its options after its name: openclaw-rollout ${name} [options]`);
  }
  if (values.help) {
    out(commandHelp(command));
    return 0;
  }
  refuseForeignOptions(command, values);
  if (!values.inventory) throw new UsageError(`${name}: --inventory <cluster.yaml> is required`);
  const inventory = await loadInventory(values.inventory);
  const invokedAs = io.invokedAs ?? operatorCommand();
  return command.run({ name, inventory, inventoryFile: values.inventory, values, out, io, invokedAs });
}

const isParseError = (err: unknown) =>
  err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true;

/** The exit code of an error: 2 for bad usage and invalid input, 1 for anything else. */
export function exitCode(err: unknown): number {
  if (err instanceof ValidationError || err instanceof UsageError || isParseError(err)) return 2;
  return 1;
}

/** What the operator reads for an error on stderr. */
export function errorText(err: unknown): unknown {
  if (err instanceof RolloutError) return `error: ${err.message}`;
  if (isParseError(err)) return `error: ${(err as Error).message} (see --help)`;
  return err;
}

/** Runs the command line of this process and exits with its code. */
export async function runAsProcess(argv: string[]): Promise<never> {
  try {
    process.exit(await run(argv));
  } catch (err) {
    console.error(errorText(err));
    process.exit(exitCode(err));
  }
}
