/**
 * Runs the peer: `ansible-playbook` with the runbook's playbook (bench/ansible/cluster-update.yml) on an
 * inventory written from our cluster inventory (ansible-inventory.ts), and times it, its start-up
 * included. Its output goes to <dir>/ansible.log (the rotations are `no_log`); a failed task or host fails
 * the run with the end of that output.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Inventory } from '../src/shared/inventory.js';
import { projectRoot } from '../test/bed/tools.js';
import { ansibleInventoryYaml, type PeerInventoryOptions } from './ansible-inventory.js';
import { parseRecap, type HostRecap } from './ansible-recap.js';
import { ansibleEnv } from './ansible-runner.js';

export const PEER_PLAYBOOK = join(projectRoot, 'bench/ansible/cluster-update.yml');

export async function runPeerPlaybook(
  dir: string,
  inventory: Inventory,
  opts: PeerInventoryOptions,
): Promise<{ wallMs: number; recap: HostRecap[] }> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'inventory.yml'), ansibleInventoryYaml(inventory, opts));
  const started = Date.now();
  const r = await execa('ansible-playbook', ['-i', 'inventory.yml', PEER_PLAYBOOK], {
    cwd: dir,
    reject: false,
    all: true,
    env: ansibleEnv(dir),
  });
  const wallMs = Date.now() - started;
  await writeFile(join(dir, 'ansible.log'), r.all ?? '');
  const recap = parseRecap(r.stdout);
  const complete = recap.length === inventory.instances.length && recap.every((h) => !h.failed && !h.unreachable);
  if (r.exitCode !== 0 || !complete)
    throw new Error(
      `the peer playbook failed (exit ${r.exitCode}; ${join(dir, 'ansible.log')}): ${r.stdout.slice(-1200)}`,
    );
  return { wallMs, recap };
}
