/**
 * Parser of `openclaw [<command>...] --help`: the subcommands and options the installed release has.
 * Releases differ (2026.7.35 has no `database`, 2026.8.2 no `database preflight-agent`, 2026.7.35's
 * `doctor --json` needs `--lint`): the release's own help says what it can do (capabilities.ts asks).
 */
import { UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import type { Captured } from './json.js';

export interface HelpEntry {
  /** The command or the long option, e.g. `preflight-agent` or `--json`. */
  name: string;
  /** Its description, continuation lines joined with single spaces. */
  description: string;
}

export interface CliHelp {
  /** False when the release has no such command (`Unknown command: openclaw database`). */
  exists: boolean;
  commands: HelpEntry[];
  options: HelpEntry[];
}

/**
 * The release's words when the command path itself is unknown (2026.7.35 `database --help`); 2026.4.1
 * prints the help of the nearest command it knows instead (its root help), which the Usage line tells.
 */
const UNKNOWN_COMMAND = /Unknown command: openclaw |has no command "|error: unknown command '/;

/**
 * Commander's help layout: a `Usage:` line, then `Options:` / `Commands:` sections whose entries start
 * with two spaces (`  -h, --help  Display help`, `  preflight <path>  Compare ...`, `  acp *  Run ...`)
 * and continue on deeper-indented lines. A `Hint:` line inside Commands is not an entry.
 */
export function parseHelp(command: string, out: Captured): CliHelp {
  const text = `${out.stdout}\n${out.stderr}`;
  if (out.exitCode !== 0 && UNKNOWN_COMMAND.test(text)) return { exists: false, commands: [], options: [] };
  if (!/^Usage: /m.test(out.stdout)) {
    throw new UnexpectedOutputError(
      `${command} --help`,
      'commander help starting with `Usage:`',
      quote(out.stdout.trim() || out.stderr.trim() || '(nothing)', 500),
    );
  }
  // 2026.4.1 answers `database --help` (a command it does not have) with its root help, exit 0.
  const usage = /^Usage: (\S+(?: [a-z][\w-]*)*)/m.exec(out.stdout)?.[1];
  if (usage !== undefined && usage !== command && command.startsWith(`${usage} `))
    return { exists: false, commands: [], options: [] };
  const sections: Record<'options' | 'commands', HelpEntry[]> = { options: [], commands: [] };
  let section: HelpEntry[] | undefined;
  let last: HelpEntry | undefined;
  for (const line of out.stdout.split('\n')) {
    if (/^\S/.test(line)) {
      section = line === 'Options:' ? sections.options : line === 'Commands:' ? sections.commands : undefined;
      last = undefined;
      continue;
    }
    if (!section || !line.trim() || /^\s+Hint:/.test(line)) continue;
    const entry = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (entry) {
      last = { name: entryName(entry[1]!, section === sections.options), description: entry[2]?.trim() ?? '' };
      section.push(last);
    } else if (last) {
      last.description = `${last.description} ${line.trim()}`;
    }
  }
  return { exists: true, ...sections };
}

/** `-h, --help` → `--help`; `--only <id>` → `--only`; `preflight <path>` → `preflight`; `acp *` → `acp`. */
function entryName(spec: string, isOption: boolean): string {
  if (!isOption) return spec.split(/\s/)[0]!;
  const long = spec.split(/,\s*/).find((s) => s.startsWith('--')) ?? spec.split(/,\s*/)[0]!;
  return long.split(/[\s=]/)[0]!;
}
