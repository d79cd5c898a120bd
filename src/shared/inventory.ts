/**
 * The inventory: one cluster file (YAML or JSON) that says which gateways exist, how to reach each one,
 * how it is installed, which devices to rotate, and the rollout policy. This module is the only
 * definition of its types (z.infer); the starter, the worker and the workflows all use it.
 *
 * Secrets are never inline: a credential is a reference (`{ env: NAME }` or `{ file: PATH }`) that an
 * activity resolves on the host where the gateway lives, so no secret enters workflow history.
 */
import { z } from 'zod';
import { WARNABLE_CHECKS } from './preflight-rules.js';

const slug = (what: string) =>
  z
    .string()
    .regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, {
      message: `${what} must be 1-63 chars of a-z, 0-9, '.', '_' or '-', starting and ending with a letter or digit`,
    });

/** A duration: milliseconds as a number, or a string like `500ms`, `30s`, `10m`, `2h`, `1d`. */
export const Duration = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "30s", "10m" or "2h" (or milliseconds), got "${value}"` });
      return z.NEVER;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(match[1]) * unit;
  });

/** A reference to a secret, resolved on the host by an activity. Never the secret itself. */
export const SecretRef = z.union(
  [
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'env must be an environment variable name' }) }).strict(),
    z.object({ file: z.string().min(1, { message: 'file must be a path' }) }).strict(),
  ],
  { error: 'expected a secret reference: { env: VAR_NAME } or { file: /path/to/secret } (never the secret itself)' },
);
export type SecretRef = z.infer<typeof SecretRef>;

const Argv = z.array(z.string().min(1)).min(1, { message: 'expected a command as a non-empty list of arguments, e.g. ["supervisorctl", "restart", "gw-1"]' });

/** A command of one named field, whose messages name the field (e.g. `stop must be a command ...`). */
const namedArgv = (field: string, example: string) => {
  const message = `${field} must be a command as a non-empty list of arguments, e.g. ${example}`;
  return z.array(z.string().min(1, { message: `${field}: an argument must not be empty` }), { error: message }).min(1, { message });
};

/**
 * Where and how many backups the rollout keeps of one instance (`openclaw backup create` before the
 * update, restored by a rollback). The whole block is optional.
 */
const Backup = z
  .object({
    /**
     * Absolute directory for the archives on the gateway's host. Default: a sibling of the state dir,
     * `<stateDir>.rollout-backups` (e.g. /var/lib/openclaw/gw-1.rollout-backups), never inside it, so a
     * backup never contains older backups. It must be on the same filesystem as the state dir (a
     * rollback moves the restored state into place with a rename).
     */
    dir: z
      .string({ error: 'backup.dir must be an absolute directory path' })
      .regex(/^\//, { message: 'backup.dir must be an absolute directory path (it is on the gateway\'s host), e.g. /var/lib/openclaw/gw-1.rollout-backups' })
      .optional(),
    /** How many archives of this instance to keep (older ones written by openclaw-rollout are deleted). Default 3. */
    keep: z
      .number({ error: 'backup.keep must be a whole number from 1 to 100' })
      .int({ message: 'backup.keep must be a whole number from 1 to 100' })
      .min(1, { message: 'backup.keep must be at least 1 (the rollback needs the newest backup)' })
      .max(100, { message: 'backup.keep must be at most 100' })
      .default(3),
  })
  .strict();

const TemporalConnection = z
  .object({
    address: z.string().regex(/^[^\s:]+:\d+$/, { message: 'address must be host:port, e.g. localhost:7233' }).default('localhost:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('openclaw-rollout'),
    /** Base URL of the Temporal Web UI, for links the starter prints (e.g. http://localhost:8233). */
    uiUrl: z.string().regex(/^https?:\/\//, { message: 'uiUrl must start with http:// or https://' }).optional(),
    tls: z
      .object({
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        serverName: z.string().optional(),
      })
      .strict()
      .refine((t) => !!t.certFile === !!t.keyFile, { message: 'certFile and keyFile go together (mutual TLS needs both)' })
      .optional(),
    apiKey: SecretRef.optional(),
  })
  .strict();

/** How the openclaw CLI reaches one gateway (on the host that runs the instance's activities). */
const GatewayAccess = z
  .object({
    /** The CLI to run, as argv (default `["openclaw"]`). */
    cli: Argv.default(['openclaw']),
    stateDir: z.string().optional(),
    configPath: z.string().optional(),
    profile: z.string().optional(),
    /** Extra environment for the CLI (no secrets here: use `token`/`password`). */
    env: z.record(z.string(), z.string()).default({}),
    /** ws:// or wss:// URL. With `url`, the CLI needs explicit credentials (`token` or `password`). */
    url: z.string().regex(/^wss?:\/\//, { message: 'url must start with ws:// or wss://' }).optional(),
    token: SecretRef.optional(),
    password: SecretRef.optional(),
    /** Base http(s) URL for /readyz and /startupz (default: derived from `url` or the config's port). */
    httpUrl: z.string().regex(/^https?:\/\//, { message: 'httpUrl must start with http:// or https://' }).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.url && !g.token && !g.password) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'with url the CLI needs credentials: add token: { env: NAME } or password: { env: NAME }' });
    }
    if (!g.url && !g.stateDir && !g.configPath && !g.profile) {
      ctx.addIssue({ code: 'custom', message: 'say how to reach the gateway: stateDir + configPath, profile, or url + token' });
    }
    for (const key of Object.keys(g.env)) {
      if (/TOKEN|PASSWORD|SECRET/i.test(key)) {
        ctx.addIssue({ code: 'custom', path: ['env', key], message: `secrets do not go in env: use token: { env: ${key} } or password: { file: ... }` });
      }
    }
  });

const Install = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('global'),
        /** npm as argv (default `["npm"]`). */
        npm: Argv.default(['npm']),
        /** The npm prefix openclaw is installed under (`npm i -g --prefix`), when not npm's default. */
        prefix: z.string().optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('source'),
        /** Release channel/tag for `openclaw update --tag` (default: the rollout's target version). */
        tag: z.string().optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('command'),
        /** Runs the deploy; `{version}` in any argument is replaced by the target version. */
        command: Argv,
      })
      .strict(),
  ],
  { error: 'install.type must be "global", "source" or "command"' },
);

const OPERATOR_SCOPE = /^operator\.[a-z][a-z0-9_.-]*$/;

const Device = z
  .object({
    deviceId: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, { message: 'deviceId must be the id shown by `openclaw devices list` (8-128 chars)' }),
    name: z.string().optional(),
    role: z.enum(['operator', 'node'], { error: 'role must be "operator" or "node"' }),
    scopes: z.array(z.string().min(1)).default([]),
    /** A command that makes the client reconnect or re-provisions it (e.g. restart its node host). */
    reconnectHook: Argv.optional(),
    /** The emergency repair (revoke → new pairing request → approve) of this device. */
    repair: z
      .object({
        /** Approve the device's new pairing request without waiting for a human (default false). */
        autoApprove: z.boolean({ error: 'repair.autoApprove must be true or false' }).default(false),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.role === 'operator') {
      if (d.scopes.length === 0) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'an operator device needs scopes, e.g. ["operator.read", "operator.write"]' });
      d.scopes.forEach((s, i) => {
        if (!OPERATOR_SCOPE.test(s)) ctx.addIssue({ code: 'custom', path: ['scopes', i], message: `"${s}" is not an operator scope (expected operator.<name>, e.g. operator.read)` });
      });
    }
  });

const Instance = z
  .object({
    id: slug('id'),
    /** The host whose worker runs this instance's commands (`worker --host <host>`); default: the central worker. */
    host: slug('host').optional(),
    gateway: GatewayAccess,
    /** This instance's server name in the load balancer. */
    lbServer: z.string().min(1, { message: 'lbServer must name the server in the load balancer backend' }),
    install: Install,
    /** Replaces the gateway process so the new version loads (e.g. `supervisorctl restart gw-1`). Default: `openclaw gateway restart`. */
    restart: Argv.optional(),
    /**
     * Stops the gateway (a rollback restores its state while it is stopped). Default: derived from
     * `restart` when that is `supervisorctl ... restart <program>` or `systemctl ... restart <unit>`.
     */
    stop: namedArgv('stop', '["supervisorctl", "stop", "gw-1"]').optional(),
    /** Starts the stopped gateway. Default: derived from `restart` like `stop`. */
    start: namedArgv('start', '["supervisorctl", "start", "gw-1"]').optional(),
    /** The backups taken before an update (see Backup). Default: `<stateDir>.rollout-backups`, keep 3. */
    backup: Backup.optional(),
    devices: z.array(Device).default([]),
  })
  .strict();

const LoadBalancer = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('haproxy'),
        socket: z.string().min(1),
        backend: z.string().min(1),
        /**
         * haproxy.cfg as the central worker can read it (optional). The runtime API tells the balance
         * algorithm and stick tables; the file adds hash-type and cookie persistence to the sticky-routing check.
         */
        config: z.string().regex(/^\//, { message: 'loadBalancer.config must be the absolute path of haproxy.cfg (as the central worker reads it)' }).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('command'),
        drain: Argv,
        ready: Argv,
        sessions: Argv,
        /** Optional: exits 0 when routing is sticky per client device (runbook rule 1), else says why. Run by the preflight. */
        stickyCheck: namedArgv('loadBalancer.stickyCheck', '["/usr/local/bin/lb-sticky-check"]').optional(),
      })
      .strict(),
    z.object({ type: z.literal('none') }).strict(),
  ],
  { error: 'loadBalancer.type must be "haproxy", "command" or "none"' },
);

const Policy = z
  .object({
    batchSize: z.number().int().min(1).default(1),
    /** The rollout stops by itself once more instances than this failed (skipped or rolled back after a failure). */
    maxFailedInstances: z.number().int().min(0).default(1),
    canary: z.string().optional(),
    drainDeadline: Duration.default(300_000),
    approvalTimeout: Duration.default(86_400_000),
    /** How long the logs must stay free of `device token mismatch` after rejoin. */
    mismatchWindow: Duration.default(30_000),
    /** How long a rotated device may take to come back after its reconnect hook. */
    reconnectDeadline: Duration.default(120_000),
    /** How long an emergency repair waits for the device's new pairing request after the revoke. */
    repairDeadline: Duration.default(600_000),
    stepTimeouts: z
      .object({
        cli: Duration.default(120_000),
        update: Duration.default(900_000),
        restart: Duration.default(300_000),
        /** A long step (drain wait, install, restart, device wait) whose worker stops heartbeating this long is retried elsewhere. */
        heartbeat: Duration.default(60_000),
      })
      .strict()
      .default({ cli: 120_000, update: 900_000, restart: 300_000, heartbeat: 60_000 }),
    /** Who may decide on an instance's return to traffic (approve or reject). */
    approvals: z
      .object({
        /** Names allowed to approve or reject; empty: anyone. Decisions from others are recorded and ignored. */
        approvers: z.array(z.string().trim().min(1, { message: 'an approver name must not be empty' })).default([]),
        /** Four-eyes: whoever started the rollout (`start --by`) may not approve it (rejecting stays allowed). */
        fourEyes: z.boolean().default(true),
      })
      .strict()
      .default({ approvers: [], fourEyes: true }),
    /** The checks `plan` and `start` run before anything changes. */
    preflight: z
      .object({
        /** Checks whose failure only warns instead of refusing the rollout (default: none; every failed check refuses). */
        warn: z
          .array(z.enum(WARNABLE_CHECKS as [string, ...string[]], { error: (issue) => `policy.preflight.warn: "${String(issue.input)}" is not a check that may only warn (known: ${WARNABLE_CHECKS.join(', ')}; host-worker always refuses)` }))
          .default([]),
      })
      .strict()
      .default({ warn: [] }),
    retries: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(5),
        initialInterval: Duration.default(2000),
        maximumInterval: Duration.default(60_000),
      })
      .strict()
      .default({ maxAttempts: 5, initialInterval: 2000, maximumInterval: 60_000 }),
  })
  .strict();

export const Inventory = z
  .object({
    $schema: z.string().optional(),
    cluster: slug('cluster'),
    targetVersion: z.string().optional(),
    temporal: TemporalConnection.default({ address: 'localhost:7233', namespace: 'default', taskQueue: 'openclaw-rollout' }),
    loadBalancer: LoadBalancer,
    instances: z.array(Instance).min(1, { message: 'list at least one instance' }),
    policy: Policy.default(Policy.parse({})),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.instances.forEach((inst, i) => {
      if (seen.has(inst.id)) ctx.addIssue({ code: 'custom', path: ['instances', i, 'id'], message: `duplicate instance id "${inst.id}"` });
      seen.add(inst.id);
    });
    const servers = new Set<string>();
    inv.instances.forEach((inst, i) => {
      if (servers.has(inst.lbServer)) ctx.addIssue({ code: 'custom', path: ['instances', i, 'lbServer'], message: `lbServer "${inst.lbServer}" is used by two instances` });
      servers.add(inst.lbServer);
    });
    if (inv.policy.canary && !seen.has(inv.policy.canary)) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'canary'], message: `canary "${inv.policy.canary}" is not an instance id (known: ${[...seen].join(', ')})` });
    }
  });

export type Inventory = z.output<typeof Inventory>;
export type InventoryInput = z.input<typeof Inventory>;
export type Instance = Inventory['instances'][number];
export type Device = Instance['devices'][number];
export type GatewayAccess = Instance['gateway'];
export type InstallSpec = Instance['install'];
export type BackupSpec = NonNullable<Instance['backup']>;
export type LoadBalancerConfig = Inventory['loadBalancer'];
export type Policy = Inventory['policy'];
export type ApprovalRules = Policy['approvals'];
export type TemporalConnectionConfig = Inventory['temporal'];

/** Formats zod issues as `path: message` lines (the path in the file's own terms, e.g. instances[1].install.type). */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    return `${path || '(top level)'}: ${issue.message}`;
  });
}
