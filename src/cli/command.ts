/**
 * What one operator command is: its name, the options it takes, its help text and its handler. The
 * table of commands (src/cli/main.ts) lists them; every command lives in its own file under commands/.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Inventory } from '../shared/inventory.js';
import { ConfigurationError } from '../shared/errors.js';
import type { OperatorCommand } from '../shared/operator-command.js';

const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

/** Every option a command may take, as node:util parseArgs declares it (grouped by the commands that use them). */
export const OPTIONS = {
  inventory: text,
  json: flag,
  help: { type: 'boolean', short: 'h' },
  target: text,
  by: text,
  force: flag,
  wait: flag,
  watch: flag,
  reason: text,
  instance: text,
  approver: text,
  comment: text,
  batch: flag,
  rest: flag,
  withdraw: flag,
  decision: text,
  device: text,
  role: text,
  since: text,
  listen: text,
} as const;

export type OptionName = keyof typeof OPTIONS;

/** The options every command takes (listed once, under "Options:" in --help). */
export const COMMON_OPTIONS: readonly OptionName[] = ['inventory', 'json', 'help'];

/** The parsed options (only those the command takes can be set): strings, or booleans for flags. */
export type OptionValues = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** Terminal details of a run: whether stdout is a terminal (status --watch redraws in place) and the poll interval. */
export interface RunIo {
  tty?: boolean;
  pollMs?: number;
  /** Ends `status --watch` at its next poll (for callers that run it in-process, like Ctrl-C does on a terminal). */
  stop?: AbortSignal;
  /** How the operator runs the CLI (default: decided from this process, src/cli/operator-command.ts). */
  invokedAs?: OperatorCommand;
}

export type Out = (s: string) => void;

/** What a handler gets: the loaded inventory, the file it came from, the options and where to print. */
export interface CommandContext {
  /** The command as typed (one handler may serve two names, e.g. approve and reject). */
  name: string;
  inventory: Inventory;
  inventoryFile: string;
  values: OptionValues;
  out: Out;
  io: RunIo;
  /** How the operator runs the CLI: hints and the workflows' texts name commands this way. */
  invokedAs: OperatorCommand;
}

export interface Command {
  name: string;
  /** The options it takes besides COMMON_OPTIONS. */
  options: readonly OptionName[];
  /** Its entry under "Commands:" in --help, name column included (also what `<name> --help` prints). */
  help: string;
  /** Returns the exit code: 0 ok, 1 the check found problems or the workflow refused. Throws on bad input. */
  run(ctx: CommandContext): Promise<number>;
}

/**
 * A long-running process with options of its own (worker, codec-server): the table hands it every
 * argument after its name, its own --help included. Its module loads only when it runs, so the other
 * commands do not pay for the worker's SDK.
 */
export interface ProcessCommand {
  name: string;
  /** Its entry under "Commands:" in --help, name column included. */
  help: string;
  /** Runs until the process is asked to stop; resolves to the exit code. Throws UsageError on bad usage. */
  runArgs(argv: string[], out: Out): Promise<number>;
}

/** One row of the CLI table: a command on an inventory, or a process with its own options. */
export type TableEntry = Command | ProcessCommand;

export const isProcessCommand = (entry: TableEntry): entry is ProcessCommand => 'runArgs' in entry;

/** A process command's own options, parsed; an unknown option or a missing value is a UsageError naming it. */
export function parseOwnArgs<T extends ParseArgsOptionsConfig>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (err) {
    const unknown =
      (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' &&
      /'([^']+)'/.exec((err as Error).message)?.[1];
    const problem = unknown ? `unknown option ${unknown}` : (err as Error).message;
    throw new UsageError(`${command}: ${problem} (see openclaw-rollout ${command} --help)`);
  }
}

/** Bad usage (exit 2): a missing or malformed option. Nothing has changed when it is thrown. */
export class UsageError extends ConfigurationError {}

/**
 * A validation problem from src/shared/messages ("instance: ...") named by its option ("--instance: ...")
 * and prefixed with the command, so the operator sees which flag to fix.
 */
export function optionProblem(command: string, problem: string, fields: readonly string[]): UsageError {
  const named = fields.reduce((text, field) => text.replace(new RegExp(`^${field}:`), `--${field}:`), problem);
  return new UsageError(`${command}: ${named}`);
}

/** Refuses an instance the inventory does not list, naming those it does. */
export function requireKnownInstance(command: string, inventory: Inventory, instance: string): void {
  if (!inventory.instances.some((i) => i.id === instance)) {
    throw new UsageError(`${command}: unknown instance "${instance}" (this inventory has ${instanceIds(inventory)})`);
  }
}

export const instanceIds = (inventory: Inventory) => inventory.instances.map((i) => i.id).join(', ');

/** Who runs the command: --by, else the login name. */
export const operatorName = (by: string | undefined, env: NodeJS.ProcessEnv = process.env) =>
  by ?? env.USER ?? 'unknown';
