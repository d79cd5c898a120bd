/** The rollout policy: batches, deadlines, retries, approvals, the checks that only warn. */
import { z } from 'zod';
import { APPROVALS_DEFAULT } from '../approval-modes.js';
import { Approvals } from './approvals.js';
import { CountOrPercent, Duration } from './fields.js';
import { WARNABLE_CHECKS } from '../preflight-rules.js';

export const Policy = z
  .object({
    batchSize: CountOrPercent(
      'batchSize',
      1,
      'Instances rolled out at a time (default 1): a number, or a share of the fleet like "10%", rounded down as Kubernetes rounds maxUnavailable but at least 1 ("10%" of 40 = 4, "10%" of 5 = 1).',
    ).default(1),
    // Failed: skipped, or rolled back after a failure.
    maxFailedInstances: CountOrPercent(
      'maxFailedInstances',
      0,
      'The rollout stops by itself once more instances than this failed (default 1): a number, or a share of the fleet like "5%", rounded down as Kubernetes rounds maxUnavailable ("10%" of 40 = 4; "10%" of 5 = 0, so no failure is allowed).',
    ).default(1),
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
    /** Who may decide on an instance's return to traffic, and how many decisions a rollout needs. */
    approvals: Approvals.default({ ...APPROVALS_DEFAULT, approvers: [] }),
    /** The checks `plan` and `start` run before anything changes. */
    preflight: z
      .object({
        /** Checks whose failure only warns instead of refusing the rollout (default: none; every failed check refuses). */
        warn: z
          .array(
            z.enum(WARNABLE_CHECKS as [string, ...string[]], {
              error: (issue) =>
                `policy.preflight.warn: "${String(issue.input)}" is not a check that may only warn (known: ${WARNABLE_CHECKS.join(', ')}; host-worker always refuses)`,
            }),
          )
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
