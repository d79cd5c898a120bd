/**
 * The inventory: one cluster file (YAML or JSON) that says which gateways exist, how to reach each one,
 * how it is installed, which devices to rotate, and the rollout policy. This module is the only
 * definition of its types (z.infer); the starter, the worker and the workflows all use it.
 *
 * Secrets are never inline: a credential is a reference (`{ env: NAME }` or `{ file: PATH }`) that an
 * activity resolves on the host where the gateway lives, so no secret enters workflow history.
 */
import { z } from 'zod';
import { slug } from './inventory/fields.js';
import { Instance } from './inventory/instance.js';
import { TemporalConnection, LoadBalancer } from './inventory/connections.js';
import { Policy } from './inventory/policy.js';
import { Notifications } from './inventory/notifications.js';

export { Duration, SecretRef } from './inventory/fields.js';

export const Inventory = z
  .object({
    $schema: z.string().optional(),
    cluster: slug('cluster'),
    targetVersion: z.string().optional(),
    temporal: TemporalConnection.default({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'openclaw-rollout',
    }),
    loadBalancer: LoadBalancer,
    instances: z.array(Instance).min(1, { message: 'list at least one instance' }),
    policy: Policy.default(Policy.parse({})),
    /** Messages when a human is needed (webhook, Slack) and Slack users for approvals-server. */
    notifications: Notifications.optional(),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.instances.forEach((inst, i) => {
      if (seen.has(inst.id))
        ctx.addIssue({ code: 'custom', path: ['instances', i, 'id'], message: `duplicate instance id "${inst.id}"` });
      seen.add(inst.id);
    });
    const servers = new Set<string>();
    inv.instances.forEach((inst, i) => {
      if (servers.has(inst.lbServer))
        ctx.addIssue({
          code: 'custom',
          path: ['instances', i, 'lbServer'],
          message: `lbServer "${inst.lbServer}" is used by two instances`,
        });
      servers.add(inst.lbServer);
    });
    if (inv.policy.canary && !seen.has(inv.policy.canary)) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'canary'],
        message: `canary "${inv.policy.canary}" is not an instance id (known: ${[...seen].join(', ')})`,
      });
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
export type { NotificationTarget, NotificationsConfig } from './inventory/notifications.js';

/** Formats zod issues as `path: message` lines (the path in the file's own terms, e.g. instances[1].install.type). */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    return `${path || '(top level)'}: ${issue.message}`;
  });
}
