/**
 * What the registry says about releases, asked through the instance's own npm (so its registry and
 * auth settings apply): a release's declared schema versions and the published versions, for `plan`.
 */
import { ConfigurationError, TransientError } from '../../../shared/errors.js';
import type { Instance, InstallSpec } from '../../../shared/inventory.js';
import { execute } from '../../host/exec.js';
import type { CallContext } from '../../call-context.js';
import type { Captured } from '../parse/json.js';
import { parseNpmViewSchemaVersions, parseNpmViewVersions } from '../parse/npm-view.js';
import { isReleaseVersion } from './release-order.js';
import { releaseJump, type ReleaseInfo, type ReleaseJump } from './release-jump.js';

/** The npm this instance installs with (`install.npm` for global and staged installs, else `npm` on PATH). */
function npmArgv(install: InstallSpec): string[] {
  return install.type === 'global' || install.type === 'staged' ? install.npm : ['npm'];
}

async function npmView(instance: Instance, args: string[], ctx: CallContext): Promise<Captured> {
  const argv = [...npmArgv(instance.install), 'view', ...args];
  const r = await execute({ argv, env: instance.gateway.env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  if (r.cancelled) throw new TransientError(`npm view ${args.join(' ')} was cancelled.`);
  if (r.timedOut)
    throw new TransientError(
      `npm view ${args.join(' ')} did not answer within ${ctx.timeoutMs / 1000} s. Is the registry reachable from this host?`,
    );
  if (r.exitCode === undefined)
    throw new ConfigurationError(
      `cannot run "${argv[0]}" on this host to ask the registry; fix install.npm of instance ${instance.id}.`,
    );
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** A release's declared schema versions, from the registry through the instance's npm. */
export async function registryRelease(instance: Instance, version: string, ctx: CallContext): Promise<ReleaseInfo> {
  if (!isReleaseVersion(version))
    throw new ConfigurationError(
      `"${version}" is not a release version (e.g. 2026.9.6); a dist-tag cannot be compared.`,
    );
  const out = await npmView(instance, [`openclaw@${version}`, 'openclaw.schemaVersions', '--json'], ctx);
  return { version, schemaVersions: parseNpmViewSchemaVersions(out, version) };
}

/** Both releases' schema versions and the published list, from the registry: what `plan` shows. */
export async function planReleaseJump(
  instance: Instance,
  fromVersion: string,
  toVersion: string,
  ctx: CallContext,
): Promise<ReleaseJump> {
  const [from, to, published] = await Promise.all([
    registryRelease(instance, fromVersion, ctx),
    registryRelease(instance, toVersion, ctx),
    npmView(instance, ['openclaw', 'versions', '--json'], ctx).then(parseNpmViewVersions),
  ]);
  return releaseJump(from, to, published);
}
