/** How the engine reaches Temporal and the load balancer in front of the gateways. */
import { z } from 'zod';
import { SecretRef, Argv, namedArgv } from './fields.js';

export const TemporalConnection = z
  .object({
    address: z
      .string()
      .regex(/^[^\s:]+:\d+$/, { message: 'address must be host:port, e.g. localhost:7233' })
      .default('localhost:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('openclaw-rollout'),
    /** Base URL of the Temporal Web UI, for links the starter prints (e.g. http://localhost:8233). */
    uiUrl: z
      .string()
      .regex(/^https?:\/\//, { message: 'uiUrl must start with http:// or https://' })
      .optional(),
    tls: z
      .object({
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        serverName: z.string().optional(),
      })
      .strict()
      .refine((t) => !!t.certFile === !!t.keyFile, {
        message: 'certFile and keyFile go together (mutual TLS needs both)',
      })
      .optional(),
    apiKey: SecretRef.optional(),
  })
  .strict();

export const LoadBalancer = z.discriminatedUnion(
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
        config: z
          .string()
          .regex(/^\//, {
            message: 'loadBalancer.config must be the absolute path of haproxy.cfg (as the central worker reads it)',
          })
          .optional(),
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
