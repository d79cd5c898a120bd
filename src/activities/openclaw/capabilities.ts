/**
 * What the installed openclaw release can do, read from its own `--help` instead of assuming 2026.9's
 * CLI: 2026.7.35 has no `database` command and its `doctor --json` needs `--lint`; 2026.8.2 has no
 * `database preflight-agent`. `--version` and `--help` are fast paths of the CLI (0.1–0.4 s); each
 * command's help is cached per CLI and release in this worker process (the release is asked every time,
 * so a switch or an install is seen at once).
 */
import type { GatewayAccess } from '../../shared/inventory.js';
import type { CallContext } from '../call-context.js';
import { runCli } from './cli.js';
import * as parse from './parse/index.js';

const helps = new Map<string, Promise<parse.CliHelp>>();

/** The installed release, as its CLI says (`openclaw --version`). */
export async function cliRelease(access: GatewayAccess, ctx: CallContext): Promise<string> {
  return parse.parseCliVersion(await runCli(access, { args: ['--version'], ...ctx }));
}

/** `openclaw <path...> --help` of the installed release, parsed; `exists: false` when it has no such command. */
export async function commandHelp(
  access: GatewayAccess,
  path: string[],
  ctx: CallContext,
): Promise<parse.CliHelp & { release: string }> {
  const release = await cliRelease(access, ctx);
  const key = JSON.stringify([access.cli, access.profile ?? '', release, path]);
  let help = helps.get(key);
  if (!help) {
    help = runCli(access, { args: [...path, '--help'], ...ctx }).then((r) =>
      parse.parseHelp(['openclaw', ...path].join(' '), r),
    );
    helps.set(key, help);
    help.catch(() => helps.delete(key));
  }
  return { ...(await help), release };
}

/** Whether the installed release has the subcommand `path` (e.g. ['database', 'preflight-agent']). */
export async function hasCommand(
  access: GatewayAccess,
  path: string[],
  ctx: CallContext,
): Promise<{ has: boolean; release: string }> {
  const parent = await commandHelp(access, path.slice(0, -1), ctx);
  return { has: parent.exists && parent.commands.some((c) => c.name === path.at(-1)), release: parent.release };
}

/**
 * The argv of the release's read-only JSON doctor: `doctor --json --non-interactive`, or with `--lint`
 * where the release's help says its `--json` works only "With --lint" (2026.7.35; same JSON findings);
 * undefined when its doctor has no `--json` at all (2026.4.1: the fix mode only).
 */
export async function doctorJsonArgs(access: GatewayAccess, ctx: CallContext): Promise<string[] | undefined> {
  return doctorJsonArgsFrom(await commandHelp(access, ['doctor'], ctx));
}

/** doctorJsonArgs on the release's parsed `doctor --help`. */
export function doctorJsonArgsFrom(help: parse.CliHelp): string[] | undefined {
  const json = help.options.find((o) => o.name === '--json');
  if (!json) return undefined;
  const needsLint = /^With --lint\b/i.test(json.description);
  return ['doctor', ...(needsLint ? ['--lint'] : []), '--json', '--non-interactive'];
}
