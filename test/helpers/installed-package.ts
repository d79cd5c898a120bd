/**
 * The project as an operator installs it: `npm pack` (its prepack builds dist/), then
 * `npm i -g --prefix <fresh dir> <tarball>`, from the npm cache where it can (--prefer-offline), with the
 * project's Node 24 first on PATH. Returns the installed command and what the steps cost.
 */
import { execa } from 'execa';
import { mkdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { node24Bin, projectRoot } from '../bed/tools.js';

export interface InstalledPackage {
  /** `<prefix>/bin/openclaw-rollout`, the command npm linked. */
  bin: string;
  tarball: string;
  version: string;
  /** PATH with Node 24 first (the bin's `#!/usr/bin/env node` needs it). */
  path: string;
  packSeconds: number;
  installSeconds: number;
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

export async function packAndInstall(dir: string): Promise<InstalledPackage> {
  const { name, version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const path = [dirname(node24Bin()), process.env.PATH].join(delimiter);
  const npm = (args: string[], cwd: string) =>
    execa('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: { PATH: path }, all: true });
  await mkdir(dir, { recursive: true });
  let started = Date.now();
  await npm(['pack', '--pack-destination', dir], projectRoot);
  const packSeconds = seconds(started);
  const tarball = join(dir, `${name}-${version}.tgz`);
  started = Date.now();
  await npm(['install', '--global', '--prefix', join(dir, 'prefix'), '--prefer-offline', tarball], dir);
  return { bin: join(dir, 'prefix/bin', name), tarball, version, path, packSeconds, installSeconds: seconds(started) };
}
