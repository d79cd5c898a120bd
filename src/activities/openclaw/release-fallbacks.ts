/**
 * Which of the rollout's checks run differently on the installed release, and why, from its own `--help`
 * (capabilities.ts): what `plan` lists per instance before a jump from an older release. Only what the
 * activities really do differently is listed (checks.ts, backup/databases.ts, service.ts).
 */
import type { GatewayAccess } from '../../shared/inventory.js';
import type { CallContext } from '../call-context.js';
import { cliRelease, commandHelp, doctorJsonArgsFrom } from './capabilities.js';
import type { CliHelp } from './parse/index.js';

export interface ReleaseFallback {
  /** The check, as a person knows it. */
  check: string;
  /** What runs instead, and why (naming the release). */
  instead: string;
}

/** The fallbacks of a release from its parsed `doctor --help` and `database --help`. Pure. */
export function fallbacksFromHelp(release: string, help: { doctor: CliHelp; database: CliHelp }): ReleaseFallback[] {
  const out: ReleaseFallback[] = [];
  const doctorArgs = doctorJsonArgsFrom(help.doctor);
  if (!doctorArgs)
    out.push({
      check: 'doctor (running release, before the drain)',
      instead: `not run: openclaw ${release}'s doctor has no --json (it only repairs)`,
    });
  else if (doctorArgs.includes('--lint'))
    out.push({
      check: 'doctor (running release)',
      instead: `runs as \`doctor --lint --json\`: openclaw ${release}'s --json works only with --lint`,
    });
  const database = new Set(help.database.exists ? help.database.commands.map((c) => c.name) : []);
  for (const [command, what] of [
    ['preflight', 'state database'],
    ['preflight-agent', 'agent databases'],
  ] as const)
    if (!database.has(command))
      out.push({
        check: `rollback: restored ${what} checked before the start`,
        instead: `not checked (the start is the check): openclaw ${release} has no \`database ${command}\``,
      });
  return out;
}

/**
 * The installed release's fallbacks, asked of its CLI. (Not listed: a release before /startupz answers it
 * with the Control UI's page; the start then reads the version from `gateway status`, service.ts.)
 */
export async function releaseFallbacks(
  access: GatewayAccess,
  ctx: CallContext,
): Promise<{ release: string; fallbacks: ReleaseFallback[] }> {
  const release = await cliRelease(access, ctx);
  const [doctor, database] = await Promise.all([
    commandHelp(access, ['doctor'], ctx),
    commandHelp(access, ['database'], ctx),
  ]);
  return { release, fallbacks: fallbacksFromHelp(release, { doctor, database }) };
}

/** The lines `plan` prints under an instance (none when the release runs every check as documented). */
export function fallbackLines(f: { release: string; fallbacks: ReleaseFallback[] }): string[] {
  if (!f.fallbacks.length) return [];
  return [`checks that fall back on ${f.release}:`, ...f.fallbacks.map((x) => `  - ${x.check}: ${x.instead}`)];
}

/** A jump summary with the fallback lines under it, indented as `plan` prints an instance's lines. */
export function summaryWithFallbacks(summary: string, lines: string[]): string {
  return [summary, ...lines].join('\n  ');
}
