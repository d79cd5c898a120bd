/**
 * Which openclaw version is installed for an instance (not necessarily the one running).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../shared/errors.js';
import type { Instance } from '../../shared/inventory.js';
import type { CallContext } from '../call-context.js';
import { cliArgv, cliEnvironment } from '../openclaw/cli.js';
import { prefixVersion, stagedPaths } from '../openclaw/staged.js';
import * as parse from '../openclaw/parse/index.js';
import { capture, type Captured } from './capture.js';

// What is installed

/**
 * The version of the openclaw package installed for the instance, or null when none is there: the
 * package.json under install.prefix for a global install with a prefix, or under `<root>/current` for
 * a staged one (no process), else
 * `openclaw --version` (~0.2 s; `OpenClaw 2026.9.6 (eb377ac)`).
 */
export async function installedVersion(instance: Instance, ctx: CallContext): Promise<string | null> {
  const install = instance.install;
  // staged: the release `current` points to (what the next start runs).
  if (install.type === 'staged') return prefixVersion(stagedPaths(install.root).current);
  if (install.type === 'global' && install.prefix) {
    const pkg = join(install.prefix, 'lib', 'node_modules', 'openclaw', 'package.json');
    const text = await readFile(pkg, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (text === null) return null;
    const version = (JSON.parse(text) as { version?: unknown }).version;
    if (typeof version !== 'string') throw new ConfigurationError(`${pkg} has no version`);
    return version;
  }
  const { argv } = await cliArgv(instance.gateway, { args: ['--version'] });
  let r: Captured;
  try {
    r = await capture(argv, cliEnvironment(instance.gateway).env, ctx);
  } catch (err) {
    if (err instanceof ConfigurationError && /ENOENT|not found/i.test(err.message)) return null;
    throw err;
  }
  return parse.parseCliVersion(r);
}
