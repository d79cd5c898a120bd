/** The machine and the versions a benchmark ran with (for the report's header). */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectRoot, temporalBin, versions } from '../test/bed/tools.js';
import { ansibleVersion } from './ansible-runner.js';

export interface Environment {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; kernel: string; loadAverageAtStart: string };
  versions: Record<string, string>;
}

const firstLine = async (cmd: string, args: string[]) =>
  (await execa(cmd, args, { reject: false })).stdout.split('\n')[0] ?? '';

export async function describeEnvironment(): Promise<Environment> {
  const sdk = (
    JSON.parse(readFileSync(join(projectRoot, 'node_modules/@temporalio/worker/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    },
    versions: {
      node: process.version,
      temporalCli: (await firstLine(temporalBin(), ['--version'])).replace(/^temporal version /, ''),
      temporalSdk: sdk,
      ansible: (await ansibleVersion()) ?? 'not installed',
      openclawFrom: versions.OPENCLAW_FROM_VERSION,
      openclawTarget: versions.OPENCLAW_TARGET_VERSION,
      haproxy: (await firstLine('haproxy', ['-v'])).split(' ')[2] ?? 'unknown',
    },
  };
}
