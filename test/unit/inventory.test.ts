// The inventory schema and its loader: a valid file (YAML or JSON) gives the same object with every
// default filled in; a malformed one gives a ValidationError whose issues name the field (in the file's
// own terms, e.g. instances[0].install.type) and say what is expected.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '../../src/shared/errors.js';
import { Inventory } from '../../src/shared/inventory.js';
import { loadInventory, parseInventory } from '../../src/inventory-file.js';

const DEVICE_ID = '15ee914571e4de8df8dc6322e1f5bcd6a8bb6e748a8ddc9ffa017b4c7c60a905';

const VALID_YAML = `# A two-gateway cluster behind HAProxy.
cluster: prod-eu
targetVersion: "2026.9.6"
loadBalancer:
  type: haproxy
  socket: /run/haproxy/admin.sock
  backend: gateways
instances:
  - id: gw-1
    host: host-a
    gateway:
      stateDir: /srv/gw1/state
      configPath: /srv/gw1/openclaw.json
      env:
        OPENCLAW_LOG_LEVEL: info
    lbServer: gw1
    install:
      type: global
    restart: [supervisorctl, restart, gw-1]
    devices:
      - deviceId: ${DEVICE_ID}
        name: ops laptop
        role: operator
        scopes: [operator.read, operator.write]
      - deviceId: node-host-0001
        role: node
  - id: gw-2
    gateway:
      url: wss://gw2.internal:18789
      token: { env: GW2_TOKEN }
    lbServer: gw2
    install: { type: source, tag: stable }
policy:
  canary: gw-1
  drainDeadline: 10m
  mismatchWindow: 45s
  retries:
    initialInterval: 500ms
`;

/** The same inventory as JSON (written independently of the YAML above). */
const VALID_OBJECT = {
  cluster: 'prod-eu',
  targetVersion: '2026.9.6',
  loadBalancer: { type: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'gateways' },
  instances: [
    {
      id: 'gw-1',
      host: 'host-a',
      gateway: {
        stateDir: '/srv/gw1/state',
        configPath: '/srv/gw1/openclaw.json',
        env: { OPENCLAW_LOG_LEVEL: 'info' },
      },
      lbServer: 'gw1',
      install: { type: 'global' },
      restart: ['supervisorctl', 'restart', 'gw-1'],
      devices: [
        { deviceId: DEVICE_ID, name: 'ops laptop', role: 'operator', scopes: ['operator.read', 'operator.write'] },
        { deviceId: 'node-host-0001', role: 'node' },
      ],
    },
    {
      id: 'gw-2',
      gateway: { url: 'wss://gw2.internal:18789', token: { env: 'GW2_TOKEN' } },
      lbServer: 'gw2',
      install: { type: 'source', tag: 'stable' },
    },
  ],
  policy: { canary: 'gw-1', drainDeadline: '10m', mismatchWindow: '45s', retries: { initialInterval: '500ms' } },
};
const VALID_JSON = JSON.stringify(VALID_OBJECT, null, 2);

/** What both must load to: every default written out, durations in milliseconds. */
const EXPECTED = {
  cluster: 'prod-eu',
  targetVersion: '2026.9.6',
  temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'openclaw-rollout' },
  loadBalancer: { type: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'gateways' },
  instances: [
    {
      id: 'gw-1',
      host: 'host-a',
      gateway: {
        cli: ['openclaw'],
        stateDir: '/srv/gw1/state',
        configPath: '/srv/gw1/openclaw.json',
        env: { OPENCLAW_LOG_LEVEL: 'info' },
      },
      lbServer: 'gw1',
      install: { type: 'global', npm: ['npm'] },
      restart: ['supervisorctl', 'restart', 'gw-1'],
      devices: [
        { deviceId: DEVICE_ID, name: 'ops laptop', role: 'operator', scopes: ['operator.read', 'operator.write'] },
        { deviceId: 'node-host-0001', role: 'node', scopes: [] },
      ],
    },
    {
      id: 'gw-2',
      gateway: { cli: ['openclaw'], env: {}, url: 'wss://gw2.internal:18789', token: { env: 'GW2_TOKEN' } },
      lbServer: 'gw2',
      install: { type: 'source', tag: 'stable' },
      devices: [],
    },
  ],
  policy: {
    batchSize: 1,
    maxFailedInstances: 1,
    canary: 'gw-1',
    drainDeadline: 600_000,
    approvalTimeout: 86_400_000,
    mismatchWindow: 45_000,
    reconnectDeadline: 120_000,
    repairDeadline: 600_000,
    stepTimeouts: { cli: 120_000, update: 900_000, restart: 300_000, heartbeat: 60_000 },
    approvals: { approvers: [], fourEyes: true, mode: 'each', soak: 120_000, maxRefusals: 0 },
    preflight: { warn: [] },
    retries: { maxAttempts: 5, initialInterval: 500, maximumInterval: 60_000 },
  },
};

/** A document being broken on purpose: any shape goes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = { [key: string]: any };
/** A deep copy of the valid inventory with one change, as JSON text. */
const variant = (change: (doc: Loose) => void): string => {
  const doc = structuredClone(VALID_OBJECT) as Loose;
  change(doc);
  return JSON.stringify(doc);
};

/** The issues of the ValidationError that parsing `text` must raise. */
const issuesOf = (text: string): string[] => {
  try {
    parseInventory(text, 'cluster.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.subject).toBe('cluster.yaml');
    expect(v.message).toContain('cluster.yaml is invalid');
    return v.issues;
  }
  throw new Error('expected a ValidationError, but the inventory loaded');
};

describe('a valid inventory', () => {
  it('loads from YAML with every default filled in and durations in ms', () => {
    expect(parseInventory(VALID_YAML)).toEqual(EXPECTED);
  });

  it('loads from JSON to the same object', () => {
    expect(parseInventory(VALID_JSON)).toEqual(EXPECTED);
    expect(parseInventory(VALID_JSON)).toEqual(parseInventory(VALID_YAML));
  });

  it('takes stop, start and backup per instance; backup.keep defaults to 3 and the block stays optional', () => {
    const inv = parseInventory(
      variant((d) => {
        d.instances[0].stop = ['supervisorctl', 'stop', 'gw-1'];
        d.instances[0].start = ['supervisorctl', 'start', 'gw-1'];
        d.instances[0].backup = { dir: '/srv/gw1/backups' };
        d.instances[1].backup = { keep: 5 };
      }),
    );
    expect(inv.instances[0]).toMatchObject({
      stop: ['supervisorctl', 'stop', 'gw-1'],
      start: ['supervisorctl', 'start', 'gw-1'],
      backup: { dir: '/srv/gw1/backups', keep: 3 },
    });
    expect(inv.instances[1]!.backup).toEqual({ keep: 5 });
    expect(parseInventory(VALID_JSON).instances[0]!.backup).toBeUndefined();
  });

  it('accepts every duration unit and plain milliseconds', () => {
    const cases: Array<[string | number, number]> = [
      ['250ms', 250],
      ['30s', 30_000],
      ['10m', 600_000],
      ['2h', 7_200_000],
      ['1d', 86_400_000],
      [1500, 1500],
    ];
    for (const [given, ms] of cases) {
      const inv = parseInventory(variant((d) => (d.policy.approvalTimeout = given)));
      expect(inv.policy.approvalTimeout).toBe(ms);
    }
  });

  it('takes batchSize and maxFailedInstances as a number or a share of the fleet', () => {
    const inv = parseInventory(
      variant((d) => {
        d.policy.batchSize = '10%';
        d.policy.maxFailedInstances = ' 5% ';
      }),
    );
    expect(inv.policy.batchSize).toBe('10%');
    expect(inv.policy.maxFailedInstances).toBe('5%');
    const plain = parseInventory(variant((d) => (d.policy.batchSize = 2)));
    expect(plain.policy.batchSize).toBe(2);
    expect(plain.policy.maxFailedInstances).toBe(1);
  });
});

describe('loadInventory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inventory-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a YAML file and a JSON file to the same object', async () => {
    await writeFile(join(dir, 'cluster.yaml'), VALID_YAML);
    await writeFile(join(dir, 'cluster.json'), VALID_JSON);
    expect(await loadInventory(join(dir, 'cluster.yaml'))).toEqual(EXPECTED);
    expect(await loadInventory(join(dir, 'cluster.json'))).toEqual(EXPECTED);
  });

  it('a missing file is a ConfigurationError naming the path', async () => {
    const missing = join(dir, 'no-such-cluster.yaml');
    const err = await loadInventory(missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toMatch(/does not exist/);
  });

  it('a malformed file is a ValidationError whose subject names the file', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, VALID_YAML.replace('type: global', 'type: docker'));
    const err = await loadInventory(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).subject).toContain(path);
    expect((err as ValidationError).issues).toEqual([
      'instances[0].install.type: install.type must be "global", "staged", "source" or "command"',
    ]);
  });
});

describe('a malformed inventory is a ValidationError naming the field and what is expected', () => {
  // [what is wrong, the inventory text, the issue it must produce: `path: ` prefix and message pattern]
  const table: Array<[string, string, string, RegExp]> = [
    ['missing cluster', variant((d) => delete d.cluster), 'cluster', /expected string/],
    [
      'batchSize as a share over 100%',
      variant((d) => (d.policy.batchSize = '150%')),
      'policy.batchSize',
      /batchSize must be a whole number of instances \(at least 1\) or a percentage from 1% to 100% like "10%", got "150%"/,
    ],
    [
      'batchSize as text that is no percentage',
      variant((d) => (d.policy.batchSize = 'ten')),
      'policy.batchSize',
      /batchSize must be a whole number of instances \(at least 1\) or a percentage from 1% to 100% like "10%"/,
    ],
    [
      'batchSize as a percentage of no number',
      variant((d) => (d.policy.batchSize = 'abc%')),
      'policy.batchSize',
      /batchSize must be a whole number of instances \(at least 1\) or a percentage from 1% to 100% like "10%"/,
    ],
    [
      'batchSize of 0% (a batch of nothing)',
      variant((d) => (d.policy.batchSize = '0%')),
      'policy.batchSize',
      /batchSize must be .* a percentage from 1% to 100% like "10%", got "0%"/,
    ],
    [
      'maxFailedInstances as a share over 100%',
      variant((d) => (d.policy.maxFailedInstances = '101%')),
      'policy.maxFailedInstances',
      /maxFailedInstances must be a whole number of instances \(at least 0\) or a percentage from 0% to 100% like "10%", got "101%"/,
    ],
    [
      'maxFailedInstances below zero',
      variant((d) => (d.policy.maxFailedInstances = -1)),
      'policy.maxFailedInstances',
      /expected number to be >=0|too small/i,
    ],
    [
      'cluster not a slug',
      variant((d) => (d.cluster = 'Prod EU!')),
      'cluster',
      /cluster must be 1-63 chars of a-z, 0-9/,
    ],
    [
      'instance id not a slug',
      variant((d) => (d.instances[1].id = '-gw2')),
      'instances[1].id',
      /id must be 1-63 chars/,
    ],
    [
      'unknown install type',
      variant((d) => (d.instances[0].install = { type: 'docker' })),
      'instances[0].install.type',
      /"global", "staged", "source" or "command"/,
    ],
    [
      'operator device without scopes',
      variant((d) => delete d.instances[0].devices[0].scopes),
      'instances[0].devices[0].scopes',
      /operator device needs scopes/,
    ],
    [
      'bad scope name',
      variant((d) => (d.instances[0].devices[0].scopes = ['operator.read', 'read'])),
      'instances[0].devices[0].scopes[1]',
      /"read" is not an operator scope \(expected operator\.<name>/,
    ],
    [
      'repair.autoApprove not a boolean',
      variant((d) => (d.instances[0].devices[0].repair = { autoApprove: 'yes' })),
      'instances[0].devices[0].repair.autoApprove',
      /repair.autoApprove must be true or false/,
    ],
    [
      'repairDeadline not a duration',
      variant((d) => (d.policy.repairDeadline = 'soon')),
      'policy.repairDeadline',
      /expected a duration/,
    ],
    [
      'device with an unknown role',
      variant((d) => (d.instances[0].devices[1].role = 'admin')),
      'instances[0].devices[1].role',
      /role must be "operator" or "node"/,
    ],
    [
      'duplicate instance id',
      variant((d) => (d.instances[1].id = 'gw-1')),
      'instances[1].id',
      /duplicate instance id "gw-1"/,
    ],
    [
      'duplicate lbServer',
      variant((d) => (d.instances[1].lbServer = 'gw1')),
      'instances[1].lbServer',
      /lbServer "gw1" is used by two instances/,
    ],
    [
      'canary that is not an instance',
      variant((d) => (d.policy.canary = 'gw-9')),
      'policy.canary',
      /canary "gw-9" is not an instance id \(known: gw-1, gw-2\)/,
    ],
    [
      'url without token',
      variant((d) => delete d.instances[1].gateway.token),
      'instances[1].gateway.url',
      /with url the CLI needs credentials: add token/,
    ],
    [
      'gateway with no way to reach it',
      variant((d) => (d.instances[0].gateway = {})),
      'instances[0].gateway',
      /say how to reach the gateway/,
    ],
    [
      'secret in env',
      variant((d) => (d.instances[0].gateway.env = { OPENCLAW_GATEWAY_TOKEN: 'abc123' })),
      'instances[0].gateway.env.OPENCLAW_GATEWAY_TOKEN',
      /secrets do not go in env: use token: \{ env: OPENCLAW_GATEWAY_TOKEN \}/,
    ],
    [
      'bad duration "10 minutes"',
      variant((d) => (d.policy.drainDeadline = '10 minutes')),
      'policy.drainDeadline',
      /expected a duration like "30s".*got "10 minutes"/,
    ],
    [
      'negative duration',
      variant((d) => (d.policy.mismatchWindow = -5)),
      'policy.mismatchWindow',
      /expected number to be >=0/,
    ],
    [
      'inline secret where a SecretRef is expected',
      variant((d) => (d.instances[1].gateway.token = 'c8k74v2rvw4hNM_cpUkRxUreSycaGNB2HivB1L6EyVA')),
      'instances[1].gateway.token',
      /expected a secret reference: \{ env: VAR_NAME \} or \{ file: \/path\/to\/secret \} \(never the secret itself\)/,
    ],
    [
      'SecretRef with a bad env name',
      variant((d) => (d.instances[1].gateway.token = { env: 'GW2 TOKEN' })),
      'instances[1].gateway.token.env',
      /env must be an environment variable name/,
    ],
    [
      'stop given as one string',
      variant((d) => (d.instances[0].stop = 'supervisorctl stop gw-1')),
      'instances[0].stop',
      /stop must be a command as a non-empty list of arguments, e\.g\. \["supervisorctl", "stop", "gw-1"\]/,
    ],
    [
      'empty stop command',
      variant((d) => (d.instances[0].stop = [])),
      'instances[0].stop',
      /stop must be a command as a non-empty list of arguments/,
    ],
    [
      'start given as one string',
      variant((d) => (d.instances[0].start = 'supervisorctl start gw-1')),
      'instances[0].start',
      /start must be a command as a non-empty list of arguments, e\.g\. \["supervisorctl", "start", "gw-1"\]/,
    ],
    [
      'empty argument in start',
      variant((d) => (d.instances[0].start = ['supervisorctl', ''])),
      'instances[0].start[1]',
      /start: an argument must not be empty/,
    ],
    [
      'backup.keep 0',
      variant((d) => (d.instances[0].backup = { keep: 0 })),
      'instances[0].backup.keep',
      /backup.keep must be at least 1 \(the rollback needs the newest backup\)/,
    ],
    [
      'backup.keep not a number',
      variant((d) => (d.instances[0].backup = { keep: 'three' })),
      'instances[0].backup.keep',
      /backup.keep must be a whole number from 1 to 100/,
    ],
    [
      'backup.keep fractional',
      variant((d) => (d.instances[0].backup = { keep: 2.5 })),
      'instances[0].backup.keep',
      /backup.keep must be a whole number from 1 to 100/,
    ],
    [
      'backup.dir relative',
      variant((d) => (d.instances[0].backup = { dir: 'backups' })),
      'instances[0].backup.dir',
      /backup.dir must be an absolute directory path/,
    ],
    [
      'unknown key in backup',
      variant((d) => (d.instances[0].backup = { count: 3 })),
      'instances[0].backup',
      /Unrecognized key: "count"/,
    ],
    [
      'unknown top-level key',
      variant((d) => (d.clusterName = 'prod')),
      '(top level)',
      /Unrecognized key: "clusterName"/,
    ],
    [
      'unknown key in an instance',
      variant((d) => (d.instances[0].hostname = 'a')),
      'instances[0]',
      /Unrecognized key: "hostname"/,
    ],
    ['no instances', variant((d) => (d.instances = [])), 'instances', /list at least one instance/],
    ['batchSize 0', variant((d) => (d.policy.batchSize = 0)), 'policy.batchSize', /expected number to be >=1/],
    [
      'unknown load balancer',
      variant((d) => (d.loadBalancer = { type: 'nginx' })),
      'loadBalancer.type',
      /"haproxy", "command" or "none"/,
    ],
    [
      'version YAML reads as a number',
      VALID_YAML.replace('targetVersion: "2026.9.6"', 'targetVersion: 2026.10'),
      'targetVersion',
      /expected string, received number/,
    ],
    ['not YAML at all', 'cluster: [prod\ninstances: {{{\n', '', /^not valid YAML\/JSON: .* at line 2, column 1/],
    [
      'a YAML list at top level',
      '- cluster: prod\n- instances: []\n',
      '(top level)',
      /expected a mapping with cluster, loadBalancer and instances/,
    ],
    ['an empty file', '', '(top level)', /expected a mapping/],
  ];

  it.each(table)('%s', (_what, text, path, message) => {
    const issues = issuesOf(text);
    const prefix = path === '' ? '' : `${path}: `;
    const match = issues.filter((i) => i.startsWith(prefix) && message.test(i.slice(prefix.length)));
    expect(match, `issues were:\n${issues.join('\n')}`).toHaveLength(1);
  });

  it('lists every problem at once, each with its own path', () => {
    const issues = issuesOf(
      variant((d) => {
        d.cluster = 'BAD';
        d.instances[0].install = { type: 'docker' };
        d.policy.drainDeadline = '10 minutes';
      }),
    );
    expect(issues.map((i) => i.slice(0, i.indexOf(': ')))).toEqual(
      expect.arrayContaining(['cluster', 'instances[0].install.type', 'policy.drainDeadline']),
    );
    expect(issues).toHaveLength(3);
  });

  it('does not echo an inline secret back in the error', () => {
    const secret = 'c8k74v2rvw4hNM_cpUkRxUreSycaGNB2HivB1L6EyVA';
    const issues = issuesOf(variant((d) => (d.instances[1].gateway.token = secret)));
    expect(issues.join('\n')).not.toContain(secret);
  });
});

describe('Inventory (the zod schema itself)', () => {
  it('rejects a token given inline and accepts { env } and { file } references', () => {
    const inline = structuredClone(VALID_OBJECT) as Loose;
    inline.instances[1].gateway.token = 'abc';
    const r = Inventory.safeParse(inline);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['instances.1.gateway.token']);

    const withFile = structuredClone(VALID_OBJECT) as Loose;
    withFile.instances[1].gateway.token = { file: '/etc/openclaw/gw2.token' };
    expect(Inventory.safeParse(withFile).success).toBe(true);
    expect(Inventory.safeParse(VALID_OBJECT).success).toBe(true);
  });

  it('rejects a password given inline too', () => {
    const inline = structuredClone(VALID_OBJECT) as Loose;
    inline.instances[1].gateway.password = 'hunter2';
    const r = Inventory.safeParse(inline);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['instances.1.gateway.password']);
  });
});
