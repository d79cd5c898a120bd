/** policy.approvals: who decides on an instance's return to traffic, and how many decisions a rollout needs. */
import { z } from 'zod';
import { APPROVAL_MODES } from '../approval-modes.js';
import { Duration } from './fields.js';

export const Approvals = z
  .object({
    /** Names allowed to approve or reject; empty: anyone. Decisions from others are recorded and ignored. */
    approvers: z.array(z.string().trim().min(1, { message: 'an approver name must not be empty' })).default([]),
    /** Four-eyes: whoever started the rollout (`start --by`) may not approve it (rejecting stays allowed). */
    fourEyes: z.boolean().default(true),
    /**
     * How many human decisions the rollout needs. each: one per instance. batch: one per batch (an
     * approval of the batch also covers its instances that reach the gate later). canary: a human
     * approves the first batch (the canary); each later instance is promoted by the policy when its
     * checks passed and its soak shows nothing worse than the baseline, else a human is asked.
     */
    mode: z
      .enum(APPROVAL_MODES, {
        error: (issue) => `policy.approvals.mode: "${String(issue.input)}" is not a mode (use each, batch or canary)`,
      })
      .default('each'),
    /** canary mode: how long an instance is watched after its checks before it may be promoted. */
    soak: Duration.default(120_000),
    /** canary mode: refused connects allowed during the soak above the instance's baseline (from preflight). */
    maxRefusals: z.number().int().min(0, { message: 'policy.approvals.maxRefusals must be 0 or more' }).default(0),
  })
  .strict();
