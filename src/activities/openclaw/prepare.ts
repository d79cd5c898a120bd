/**
 * What can be done for an update while the instance still serves, so that less remains after the
 * drain: a `staged` install stages the release (staged.ts); a `global` install warms npm's cache with
 * a throwaway install, so the install under drain downloads nothing. Nothing here touches what the
 * running gateway uses; running it twice is harmless.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayAccess, InstallSpec } from '../../shared/inventory.js';
import { runHostCommand } from '../host/exec.js';
import type { CallContext } from '../call-context.js';
import { checkVersionArgument } from './install.js';
import { stageRelease } from './staged.js';

export interface PrepareOutcome {
  kind: 'staged' | 'cache-warmed' | 'nothing';
  /** For the step's detail: what was done, in words. */
  detail: string;
  durationMs: number;
}

export async function prepareRelease(
  access: GatewayAccess,
  install: InstallSpec,
  version: string,
  ctx: CallContext,
): Promise<PrepareOutcome> {
  checkVersionArgument(version);
  const started = Date.now();
  const took = () => Date.now() - started;
  if (install.type === 'staged') {
    const s = await stageRelease(access, install, version, ctx);
    const detail = s.alreadyStaged ? `already staged in ${s.path}` : `staged in ${s.path}, its CLI checked`;
    return { kind: 'staged', detail, durationMs: took() };
  }
  if (install.type === 'global') {
    await warmNpmCache(access, install.npm, version, ctx);
    return {
      kind: 'cache-warmed',
      detail: "npm's cache holds it: the install after the drain downloads nothing",
      durationMs: took(),
    };
  }
  const what = install.type === 'source' ? 'a source checkout updates itself' : 'the install command does it all';
  return { kind: 'nothing', detail: `nothing to prepare: ${what} after the drain`, durationMs: took() };
}

/** A throwaway install of `openclaw@version` into a temporary prefix: every package lands in npm's cache. */
async function warmNpmCache(access: GatewayAccess, npm: string[], version: string, ctx: CallContext): Promise<void> {
  const prefix = await mkdtemp(join(tmpdir(), 'openclaw-rollout-warm-'));
  try {
    await runHostCommand({
      what: "warming npm's cache",
      argv: [...npm, 'install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `openclaw@${version}`],
      env: access.env,
      expected: `it to download openclaw ${version} into npm's cache`,
      installs: { pkg: 'openclaw', version },
      field: 'install.npm',
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}
