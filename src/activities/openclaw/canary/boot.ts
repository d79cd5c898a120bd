/**
 * The canary boot, before the drain and while the instance serves: the staged new release starts on a
 * consistent copy of the instance's state, with a config that cannot reach or write the live instance
 * (config.ts), until its /readyz answers. OpenClaw migrates a state by itself when it starts (2026.9.6 on
 * 2026.9.5 and on 2026.8.2 states): a canary that becomes ready proves that the window needs no
 * `doctor --fix`. One that refuses gets `doctor --fix` on the copy and a second boot: then the window
 * runs the fix (the jump path). One that refuses even then fails the step while the instance still
 * serves, in the release's own words. The scratch dir is removed afterwards, also after a cancel; a
 * worker killed mid-boot leaves it to the next canary of the instance, which removes it first.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckFailedError } from '../../../shared/errors.js';
import type { GatewayAccess, Instance } from '../../../shared/inventory.js';
import type { CallContext } from '../../call-context.js';
import { backupDirFor, isoStamp, resolveStateDir } from '../backup/archive.js';
import { runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import { stagedCliArgv, stagedPaths } from '../staged.js';
import { canaryConfig, unsupportedConfig } from './config.js';
import { copyStateConsistently, dropCopiedLeases } from './copy-state.js';
import { bootUntilReady, freePortRange, removeLeftoverCanaries, type Boot } from './process.js';

export type CanaryResult =
  | {
      /** The new release became ready on the copy with no fix: the window needs no `doctor --fix`. */
      bootsByItself: boolean;
      /** What it said about migrating the copy when it started (its stdout). */
      migrated: string[];
      /** When it needed the fix: what it said when it refused to start without one. */
      refusedWithoutFix?: string;
      /** Start to /readyz of the boot that succeeded. */
      readyMs: number;
      durationMs: number;
    }
  | { skipped: string };

export async function canaryBoot(
  instance: Instance,
  version: string,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<CanaryResult> {
  const started = Date.now();
  const { install, gateway: access } = instance;
  if (install.type !== 'staged') return { skipped: 'only a staged install has the new release beside the running one' };
  const liveState = await resolveStateDir(access, ctx);
  const configPath = access.configPath ?? join(liveState, 'openclaw.json');
  const configText = await readFile(configPath, 'utf8').catch(() => undefined);
  if (configText === undefined) return { skipped: `cannot read the config ${configPath}` };
  const unsupported = unsupportedConfig(configText);
  if (unsupported) return { skipped: unsupported };

  const backups = backupDirFor(instance, liveState);
  await removeLeftoverCanaries(backups);
  const scratch = join(backups, `.canary-${isoStamp()}`);
  try {
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    const canary = await prepareCopy(
      access,
      liveState,
      configText,
      scratch,
      stagedCliArgv(access, install.root, stagedPaths(install.root).release(version)),
    );
    ctx.heartbeat?.({ step: 'canary', copied: true });
    const ready = (boot: Boot, refusedWithoutFix?: string) => ({
      bootsByItself: refusedWithoutFix === undefined,
      migrated: migrationLines(boot, scratch),
      ...(refusedWithoutFix !== undefined ? { refusedWithoutFix } : {}),
      readyMs: boot.readyMs,
      durationMs: Date.now() - started,
    });
    const first = await bootUntilReady(canary, version, ctx);
    if (first.ready) return ready(first);
    const fix = await runCli(canary.access, { args: ['doctor', '--fix', '--non-interactive'], ...ctx });
    const second = await bootUntilReady(canary, version, ctx);
    if (second.ready) return ready(second, first.said);
    throw new CheckFailedError(
      `openclaw ${version} does not start on a copy of instance ${instance.id}'s state, not even after \`openclaw doctor --fix\` on the copy ` +
        `(exit ${fix.exitCode}). Nothing was drained or changed: the instance still serves on its release. ` +
        `Without a fix it said:\n${first.said}\nAfter the fix:\n${second.said}\n` +
        'Look at what the release needs (its docs/install/updating/), or roll out a release that starts on this state.',
    );
  } finally {
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Copies the state and writes the canary's config into `scratch`; the access that runs the staged CLI on them. */
async function prepareCopy(
  access: GatewayAccess,
  liveState: string,
  configText: string,
  scratch: string,
  cli: string[],
): Promise<{ access: GatewayAccess; httpUrl: string; port: number }> {
  const copyState = join(scratch, 'state');
  await mkdir(join(scratch, 'home'), { recursive: true, mode: 0o700 });
  await copyStateConsistently(liveState, copyState);
  dropCopiedLeases(copyState);
  const port = await freePortRange();
  const config = canaryConfig(JSON.parse(configText) as Parameters<typeof canaryConfig>[0], {
    liveStateDir: liveState,
    copyStateDir: copyState,
    outsideDir: join(scratch, 'outside'),
    port,
    logFile: join(scratch, 'canary.log'),
  });
  const copyConfig = join(scratch, 'openclaw.json');
  await writeFile(copyConfig, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  const canaryAccess: GatewayAccess = {
    ...access,
    cli,
    stateDir: copyState,
    configPath: copyConfig,
    // Its own home and temp dir: the live gateway's caches (~/.cache/openclaw) stay untouched.
    env: { ...access.env, HOME: join(scratch, 'home'), TMPDIR: join(scratch, 'home') },
    url: undefined,
    httpUrl: `http://127.0.0.1:${port}`,
    profile: undefined,
  };
  return { access: canaryAccess, httpUrl: `http://127.0.0.1:${port}`, port };
}

/** What the release said it migrated on the copy (its stdout's "Doctor changes"), the scratch path shortened. */
function migrationLines(boot: Boot, scratch: string): string[] {
  return parse
    .parseStartupChanges(boot.output)
    .map((l) => l.replaceAll(scratch, '<copy>').slice(0, 300))
    .slice(0, 10);
}
