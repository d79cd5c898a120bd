/**
 * Installing a release the instance's way: global npm, a staged release switched in, a source
 * checkout's `openclaw update`, or the inventory's own command (restarting is restartGateway's job).
 */
import { ConfigurationError } from '../../shared/errors.js';
import type { GatewayAccess, InstallSpec } from '../../shared/inventory.js';
import { runHostCommand } from '../host/exec.js';
import type { CallContext } from '../call-context.js';
import type * as parse from './parse/index.js';
import { runSourceUpdate } from './source-update.js';
import { stageRelease, switchRelease } from './staged.js';

export interface InstallOutcome {
  kind: InstallSpec['type'];
  /** What ran, for the report (secrets left out). */
  command: string;
  durationMs: number;
  /** staged: the release `current` pointed to before (null: none), when the switch changed it. */
  switchedFrom?: string | null;
  /** `openclaw update`'s own report (source installs): status, reason, versions, its report path. */
  update?: parse.UpdateReport;
}

/** A version or dist-tag that can go on a command line (ConfigurationError otherwise). */
export function checkVersionArgument(version: string): void {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(version)) {
    throw new ConfigurationError(`target version "${version}" is not a version or dist-tag (e.g. 2026.9.6)`);
  }
}

/**
 * Installs `version` the instance's way: `npm i -g [--prefix P] openclaw@<version>` (global),
 * `openclaw update --yes --json --no-restart --tag <version>` (source checkout, run with the gateway
 * stopped: source-update.ts), or the inventory's
 * command with `{version}` replaced. Restarting is a separate step (restartGateway).
 */
export async function installVersion(
  access: GatewayAccess,
  install: InstallSpec,
  version: string,
  ctx: CallContext,
): Promise<InstallOutcome> {
  checkVersionArgument(version);
  const started = Date.now();
  if (install.type === 'staged') {
    // Normally staged before the drain already (then this is the switch alone); a rollback may stage here.
    await stageRelease(access, install, version, ctx);
    const sw = await switchRelease(install.root, version);
    const command = `ln -sfn versions/${version} ${install.root}/current   (atomic rename)`;
    return {
      kind: 'staged',
      command,
      durationMs: Date.now() - started,
      ...(sw.switched ? { switchedFrom: sw.from } : {}),
    };
  }
  if (install.type === 'source') {
    const u = await runSourceUpdate(access, version, install.tag ?? version, ctx);
    return { kind: 'source', command: u.command, durationMs: Date.now() - started, update: u.report };
  }
  const argv =
    install.type === 'global'
      ? [
          ...install.npm,
          'install',
          '-g',
          ...(install.prefix ? ['--prefix', install.prefix] : []),
          '--no-audit',
          '--no-fund',
          `openclaw@${version}`,
        ]
      : install.command.map((a) => a.replaceAll('{version}', version));
  const heartbeat = ctx.heartbeat
    ? setInterval(() => ctx.heartbeat?.({ step: 'install', elapsedMs: Date.now() - started }), 5000)
    : undefined;
  try {
    const field = install.type === 'global' ? 'install.npm' : 'install.command';
    const ran = await runHostCommand({
      what: 'install',
      argv,
      env: access.env,
      expected: `it to install openclaw ${version}`,
      installs: { pkg: 'openclaw', version },
      field,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    return { kind: install.type, command: ran.command, durationMs: Date.now() - started };
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}
