/**
 * The approval modes and the defaults of policy.approvals, without zod: the workflows fill them in for
 * inventories recorded before a field existed. Workflow-safe.
 */
export const APPROVAL_MODES = ['each', 'batch', 'canary'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export const APPROVALS_DEFAULT = {
  approvers: [] as string[],
  fourEyes: true,
  mode: 'each' as ApprovalMode,
  soak: 120_000,
  maxRefusals: 0,
};
