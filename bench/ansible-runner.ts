/**
 * The peer: Ansible (Debian's `ansible`) running the same rollout as a serial playbook of no-op
 * commands (`true`) on local-connection hosts: preflight on every host, then the runbook steps one host
 * at a time (serial: batch size), then the final check. The benchmark writes inventory and playbook,
 * runs `ansible-playbook` and times it (its own start-up included: it is paid on every rollout).
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRecap } from './ansible-recap.js';

/** The steps of one instance, in the order instanceRollout runs them (one device with a reconnect hook). */
export const INSTANCE_STEPS = [
  'read version before',
  'drain',
  'wait for sessions to drain',
  'install',
  'doctor',
  'restart',
  'verify gateway status',
  'verify channels probe',
  'rotate device',
  'reconnect hook',
  'approval (automatic)',
  'rejoin',
  'reconnect hook after rejoin',
  'device connected again',
  'gateway status after rejoin',
  'channels probe after rejoin',
  'count token mismatches',
];
const CHECK_STEPS = ['gateway status', 'devices list', 'load balancer state'];

export async function ansibleVersion(): Promise<string | null> {
  const r = await execa('ansible-playbook', ['--version'], { reject: false });
  return r.exitCode === 0 ? (/core ([\d.]+)/.exec(r.stdout)?.[1] ?? r.stdout.split('\n')[0]!) : null;
}

function playbook(batchSize: number): string {
  const tasks = (names: string[]) =>
    names.map((n) => `    - name: ${n}\n      ansible.builtin.command: "true"\n      changed_when: false`).join('\n');
  return `- name: preflight
  hosts: gateways
  gather_facts: false
  tasks:
${tasks(CHECK_STEPS)}
- name: rolling update
  hosts: gateways
  serial: ${batchSize}
  gather_facts: false
  tasks:
${tasks(INSTANCE_STEPS)}
- name: final check
  hosts: gateways
  gather_facts: false
  tasks:
${tasks(CHECK_STEPS)}
`;
}

/** ansible-playbook's environment for a run in `dir`: its home and temp files there, no colour, no retry files. */
export const ansibleEnv = (dir: string) => ({
  ANSIBLE_HOME: join(dir, '.ansible'),
  ANSIBLE_LOCAL_TEMP: join(dir, '.ansible/tmp'),
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_RETRY_FILES_ENABLED: '0',
});

/** Commands one host runs: preflight + instance steps + final check. */
export const ansibleCommandsPerHost = CHECK_STEPS.length * 2 + INSTANCE_STEPS.length;

export async function runAnsible(
  dir: string,
  hosts: number,
  batchSize: number,
): Promise<{ hosts: number; wallMs: number }> {
  await mkdir(dir, { recursive: true });
  const inventory = `[gateways]\n${Array.from({ length: hosts }, (_, i) => `gw-${i + 1} ansible_connection=local ansible_python_interpreter=/usr/bin/python3`).join('\n')}\n`;
  await writeFile(join(dir, 'inventory.ini'), inventory);
  await writeFile(join(dir, 'rollout.yml'), playbook(batchSize));
  const started = Date.now();
  const r = await execa('ansible-playbook', ['-i', 'inventory.ini', 'rollout.yml'], {
    cwd: dir,
    reject: false,
    env: ansibleEnv(dir),
  });
  const wallMs = Date.now() - started;
  if (r.exitCode !== 0)
    throw new Error(`ansible-playbook failed (exit ${r.exitCode}): ${r.stdout.slice(-800)} ${r.stderr.slice(-400)}`);
  const counts = parseRecap(r.stdout).map((h) => h.ok);
  if (counts.length !== hosts || counts.some((c) => c !== ansibleCommandsPerHost)) {
    throw new Error(
      `ansible-playbook did not run every task on every host (ok counts: ${counts.join(', ')}, expected ${ansibleCommandsPerHost} on ${hosts} hosts)`,
    );
  }
  return { hosts, wallMs };
}
