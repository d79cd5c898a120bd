// Section 5's peer without the bed: the playbook follows the runbook (serial 1, its steps in order, the
// rotation not logged), the inventory generated from ours gives it every variable it uses and no secret,
// ansible-playbook's recap is read from captured runs, and the measures and the report text (HAProxy's
// out-of-traffic periods, new pending requests, each figure beside its goal).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseInventory } from '../../src/inventory-file.js';
import { ansibleInventory, ansibleInventoryYaml } from '../../bench/ansible-inventory.js';
import { PEER_PLAYBOOK } from '../../bench/ansible-peer.js';
import { parseRecap } from '../../bench/ansible-recap.js';
import { newPending } from '../../bench/pending-requests.js';
import type { PeerBedResult } from '../../bench/peer-bed.js';
import { peerGoals, peerMarkdown } from '../../bench/report-peer.js';
import { outOfTrafficByServer } from '../../bench/traffic-periods.js';
import { projectRoot } from '../bed/tools.js';

const NODE_ID = '96ff87d758b4829f84efaa2a40a2e632dd852408ae7b80e82303e0a9a49063d6';
const inventory = parseInventory(`
cluster: bed
targetVersion: "2026.9.6"
loadBalancer: { type: haproxy, socket: /bed/haproxy.sock, backend: gateways }
instances:
  - id: gw-1
    gateway:
      cli: [/node24/bin/node, /bed/gw-1/openclaw/current/lib/node_modules/openclaw/openclaw.mjs]
      stateDir: /bed/gw-1/state
      configPath: /bed/gw-1/openclaw.json
      env: { HOME: /bed/gw-1/home }
      httpUrl: http://127.0.0.1:38704
    lbServer: gw1
    install: { type: staged, npm: [/node24/bin/node, /npm/bin/npm-cli.js], root: /bed/gw-1/openclaw }
    restart: [supervisorctl, -c, /bed/supervisord.conf, restart, gw-1]
    devices:
      - { deviceId: "${NODE_ID}", name: node-1, role: node, reconnectHook: [supervisorctl, -c, /bed/supervisord.conf, restart, node-1] }
  - id: gw-2
    gateway: { cli: [/node24/bin/node, /bed/gw-2/oc.mjs], stateDir: /bed/gw-2/state, httpUrl: "http://127.0.0.1:38945" }
    lbServer: gw2
    install: { type: staged, npm: [npm], root: /bed/gw-2/openclaw }
    restart: [supervisorctl, -c, /bed/supervisord.conf, restart, gw-2]
    devices:
      - { deviceId: "${'a'.repeat(64)}", name: op-1, role: operator, scopes: [operator.read, operator.write] }
policy: { drainDeadline: 5s }
`);
const opts = { targetVersion: '2026.9.6', drainDeadlineMs: 5000 };

type Task = Record<string, unknown> & { name: string };
const playbook = parseYaml(readFileSync(PEER_PLAYBOOK, 'utf8')) as { name: string; serial?: number; tasks: Task[] }[];
const rolling = playbook.find((p) => p.serial !== undefined)!;
const fixture = (name: string) => readFileSync(join(projectRoot, 'test/fixtures/ansible', name), 'utf8');

describe('the peer playbook (bench/ansible/cluster-update.yml)', () => {
  it('updates one gateway at a time in the runbook order: drain, update, restart, verify, rotate, reconnect, rejoin', () => {
    expect(rolling.serial).toBe(1);
    const order = [
      /Drain/,
      /sessions to reach 0/,
      /npm i -g/,
      /Stop the gateway/,
      /openclaw doctor/,
      /Start the gateway/,
      /readyz/,
      /gateway status/,
      /channels status --probe/,
      /devices rotate/,
      /Reconnect the clients/,
      /Return the gateway to traffic/,
    ];
    expect(rolling.tasks.map((t) => order.findIndex((re) => re.test(t.name)))).toEqual(order.map((_, i) => i));
  });

  it('never logs a rotation, and drains and rejoins through the HAProxy socket', () => {
    expect(rolling.tasks.find((t) => /devices rotate/.test(t.name))!.no_log).toBe(true);
    const shell = (re: RegExp) => String(rolling.tasks.find((t) => re.test(t.name))!['ansible.builtin.shell']);
    expect(shell(/^1\. Drain/)).toContain('state drain');
    expect(shell(/Return the gateway/)).toContain('state ready');
  });

  it('gets every variable it uses from the generated inventory', () => {
    const text = readFileSync(PEER_PLAYBOOK, 'utf8');
    // The names in {{ … }}: string literals out, attributes (after a dot) and filters (after |) out.
    const used = new Set(
      [...text.matchAll(/\{\{(.*?)\}\}/g)].flatMap((m) =>
        [...m[1]!.replace(/'[^']*'/g, '').matchAll(/(?<![.|\w]\s*)\b([a-z_][a-z0-9_]*)\b/g)].map((n) => n[1]!),
      ),
    );
    const inv = ansibleInventory(inventory, opts).gateways;
    const given = new Set([...Object.keys(inv.vars), ...Object.keys(inv.hosts['gw-1']!), 'item']);
    expect([...used].filter((v) => !given.has(v))).toEqual([]);
    expect(used).toContain('npm_prefix');
  });
});

describe('ansibleInventory', () => {
  it('gives each gateway its CLI, environment, npm prefix, stop/start commands and devices to rotate', () => {
    const gw1 = ansibleInventory(inventory, opts).gateways.hosts['gw-1']!;
    expect(gw1).toMatchObject({
      lb_server: 'gw1',
      openclaw_env: {
        HOME: '/bed/gw-1/home',
        OPENCLAW_STATE_DIR: '/bed/gw-1/state',
        OPENCLAW_CONFIG_PATH: '/bed/gw-1/openclaw.json',
      },
      npm_prefix: '/bed/gw-1/openclaw/current',
      stop: ['supervisorctl', '-c', '/bed/supervisord.conf', 'stop', 'gw-1'],
      start: ['supervisorctl', '-c', '/bed/supervisord.conf', 'start', 'gw-1'],
      http_url: 'http://127.0.0.1:38704',
      devices: [
        {
          name: 'node-1',
          rotate_args: ['--device', NODE_ID, '--role', 'node'],
          reconnect: ['supervisorctl', '-c', '/bed/supervisord.conf', 'restart', 'node-1'],
        },
      ],
    });
    const gw2 = ansibleInventory(inventory, opts).gateways.hosts['gw-2']!;
    expect(gw2.devices[0]!.rotate_args).toEqual([
      '--device',
      'a'.repeat(64),
      '--role',
      'operator',
      '--scope',
      'operator.read',
      '--scope',
      'operator.write',
    ]);
  });

  it('waits for the drain as long as our policy does, with a local connection', () => {
    expect(ansibleInventory(inventory, opts).gateways.vars).toMatchObject({
      ansible_connection: 'local',
      drain_deadline_s: 5,
      haproxy_socket: '/bed/haproxy.sock',
      haproxy_backend: 'gateways',
      openclaw_target: '2026.9.6',
    });
  });

  it('refuses a gateway reached by URL (its token would have to go on the command line)', () => {
    const remote = structuredClone(inventory);
    remote.instances[0]!.gateway.url = 'ws://gw1.internal:18789';
    remote.instances[0]!.gateway.token = { env: 'GW_TOKEN' };
    expect(() => ansibleInventoryYaml(remote, opts)).toThrow(/no gateway.url/);
  });
});

describe('parseRecap (captured ansible-playbook runs)', () => {
  it('reads every host of a complete run', () => {
    expect(parseRecap(fixture('peer-playbook.stdout.txt'))).toEqual([
      { host: 'gw-1', ok: 14, changed: 8, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
      { host: 'gw-2', ok: 12, changed: 6, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 },
      { host: 'gw-3', ok: 13, changed: 7, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 },
    ]);
  });

  it('shows the failed hosts of a run that stopped (doctor refused a running gateway)', () => {
    const failed = parseRecap(fixture('peer-playbook.failed.stdout.txt')).filter((h) => h.failed);
    expect(failed.map((h) => h.host)).toEqual(['gw-1', 'gw-3']);
    expect(parseRecap('ERROR! the playbook could not be found')).toEqual([]);
  });
});

describe('the measures', () => {
  const sample = (at: number, notUp: string[]) => ({ at, drained: [], notUp });
  it("counts each server's time not UP in HAProxy, from the first sample out to the first back", () => {
    const samples = [
      sample(0, []),
      sample(250, ['gw1']),
      sample(500, ['gw1']),
      sample(750, []),
      sample(1000, ['gw2']),
      sample(1250, []),
      sample(1500, ['gw2']),
    ];
    expect(outOfTrafficByServer(samples, ['gw1', 'gw2', 'gw3'])).toEqual([
      { server: 'gw1', totalMs: 500, periods: 1 },
      { server: 'gw2', totalMs: 250, periods: 2 },
      { server: 'gw3', totalMs: 0, periods: 0 },
    ]);
  });

  it('counts only the pending requests that were not there before', () => {
    expect(newPending({ 'gw-1': ['r1'], 'gw-2': [] }, { 'gw-1': ['r1', 'r2'], 'gw-2': [], 'gw-3': ['r3'] })).toEqual({
      'gw-1': 1,
      'gw-2': 0,
      'gw-3': 1,
    });
  });
});

describe('section 5 of the report', () => {
  const run = (ms: number[], wallMs: number, left: number[]) => ({
    wallMs,
    outOfTraffic: ms.map((m, i) => ({ instance: `gw-${i + 1}`, server: `gw${i + 1}`, ms: m, periods: 1 })),
    pendingBefore: { 'gw-1': 0, 'gw-2': 0, 'gw-3': 0 },
    pendingLeft: Object.fromEntries(left.map((n, i) => [`gw-${i + 1}`, n])),
  });
  const result: PeerBedResult = {
    fromVersion: '2026.9.5',
    targetVersion: '2026.9.6',
    instances: [
      { id: 'gw-1', lbServer: 'gw1', devices: ['node-1'] },
      { id: 'gw-2', lbServer: 'gw2', devices: [] },
      { id: 'gw-3', lbServer: 'gw3', devices: ['op-1'] },
    ],
    drainDeadlineMs: 5000,
    mismatchWindowMs: 5000,
    samplerIntervalMs: 250,
    settleMs: 5000,
    ours: run([40_000, 30_000, 70_000], 300_000, [0, 0, 1]),
    playbook: { ...run([60_000, 50_000, 65_000], 200_000, [0, 2, 0]), recap: [] },
  };

  it('judges each figure against its goal', () => {
    const g = peerGoals(result);
    expect(g.perInstance.map((i) => i.met)).toEqual([true, true, false]);
    expect(g.wallRatio).toBe(1.5);
    expect(g).toMatchObject({ wallMet: false, oursPendingLeft: 1, playbookPendingLeft: 2, pendingMet: false });
  });

  it('puts ours and the playbook side by side, each beside its goal', () => {
    const md = peerMarkdown(result).join('\n');
    expect(md).toContain('| gw-1 (node-1) | 40.0 s | 60.0 s | met |');
    expect(md).toContain('| gw-2 (no devices) | 30.0 s | 50.0 s | met |');
    expect(md).toContain('| gw-3 (op-1) | 70.0 s | 65.0 s | **missed** |');
    expect(md).toMatch(/\| 300\.0 s \| 200\.0 s \| ours ≤ 1\.2 × playbook's: 1\.50× \*\*missed\*\* \|/);
    expect(md).toContain('| pending pairing requests left | 1 (gw-3: 1) | 2 (gw-2: 2) | ours 0: **missed** |');
  });
});
