/** One instance of the inventory: its gateway access, install, service commands, backups and devices. */
import { z } from 'zod';
import { slug, SecretRef, Argv, namedArgv } from './fields.js';

/**
 * Where and how many backups the rollout keeps of one instance (`openclaw backup create` before the
 * update, restored by a rollback). The whole block is optional.
 */
export const Backup = z
  .object({
    /**
     * Absolute directory for the archives on the gateway's host. Default: a sibling of the state dir,
     * `<stateDir>.rollout-backups` (e.g. /var/lib/openclaw/gw-1.rollout-backups), never inside it, so a
     * backup never contains older backups. It must be on the same filesystem as the state dir (a
     * rollback moves the restored state into place with a rename).
     */
    dir: z
      .string({ error: 'backup.dir must be an absolute directory path' })
      .regex(/^\//, {
        message:
          "backup.dir must be an absolute directory path (it is on the gateway's host), e.g. /var/lib/openclaw/gw-1.rollout-backups",
      })
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

/** How the openclaw CLI reaches one gateway (on the host that runs the instance's activities). */
export const GatewayAccess = z
  .object({
    /** The CLI to run, as argv (default `["openclaw"]`). */
    cli: Argv.default(['openclaw']),
    stateDir: z.string().optional(),
    configPath: z.string().optional(),
    profile: z.string().optional(),
    /** Extra environment for the CLI (no secrets here: use `token`/`password`). */
    env: z.record(z.string(), z.string()).default({}),
    /** ws:// or wss:// URL. With `url`, the CLI needs explicit credentials (`token` or `password`). */
    url: z
      .string()
      .regex(/^wss?:\/\//, { message: 'url must start with ws:// or wss://' })
      .optional(),
    token: SecretRef.optional(),
    password: SecretRef.optional(),
    /** Base http(s) URL for /readyz and /startupz (default: derived from `url` or the config's port). */
    httpUrl: z
      .string()
      .regex(/^https?:\/\//, { message: 'httpUrl must start with http:// or https://' })
      .optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.url && !g.token && !g.password) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'with url the CLI needs credentials: add token: { env: NAME } or password: { env: NAME }',
      });
    }
    if (!g.url && !g.stateDir && !g.configPath && !g.profile) {
      ctx.addIssue({
        code: 'custom',
        message: 'say how to reach the gateway: stateDir + configPath, profile, or url + token',
      });
    }
    for (const key of Object.keys(g.env)) {
      if (/TOKEN|PASSWORD|SECRET/i.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['env', key],
          message: `secrets do not go in env: use token: { env: ${key} } or password: { file: ... }`,
        });
      }
    }
  });

export const Install = z.discriminatedUnion(
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
        type: z.literal('staged'),
        /**
         * Where the releases live: each in `<root>/versions/<version>` (an npm prefix), the service runs
         * from `<root>/current`, a symlink the rollout switches after the drain (and back on a rollback).
         */
        root: z
          .string({ error: 'install.root must be the directory that holds versions/ and current, e.g. /opt/openclaw' })
          .regex(/^\/./, { message: 'install.root must be an absolute path, e.g. /opt/openclaw' }),
        /** npm as argv (default `["npm"]`). */
        npm: Argv.default(['npm']),
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
  { error: 'install.type must be "global", "staged", "source" or "command"' },
);

export const OPERATOR_SCOPE = /^operator\.[a-z][a-z0-9_.-]*$/;

export const Device = z
  .object({
    deviceId: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, {
      message: 'deviceId must be the id shown by `openclaw devices list` (8-128 chars)',
    }),
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
      if (d.scopes.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['scopes'],
          message: 'an operator device needs scopes, e.g. ["operator.read", "operator.write"]',
        });
      d.scopes.forEach((s, i) => {
        if (!OPERATOR_SCOPE.test(s))
          ctx.addIssue({
            code: 'custom',
            path: ['scopes', i],
            message: `"${s}" is not an operator scope (expected operator.<name>, e.g. operator.read)`,
          });
      });
    }
  });

export const Instance = z
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
