/**
 * Every workflow id the engine uses, in one place (workflow-safe: no I/O). The ids are the rollouts'
 * identity in Temporal: the one-rollout-per-cluster lock, the Web UI's links and every `approve`,
 * `status` or `repair` command find a workflow by them, so a change here is a breaking change.
 */

/** The cluster's rollout (one at a time per cluster: the id is the lock). */
export const rolloutWorkflowId = (cluster: string) => `rollout-${cluster}`;

/** One instance's child of a rollout. */
export const instanceWorkflowId = (rolloutId: string, instanceId: string) => `${rolloutId}/${instanceId}`;

/** An emergency repair: under its instance rollout when it started one, else per cluster (`repair` by hand). */
export const repairWorkflowId = (
  parentOrCluster: { instanceWorkflowId: string } | { cluster: string },
  instance: string,
  deviceId: string,
) =>
  'instanceWorkflowId' in parentOrCluster
    ? `${parentOrCluster.instanceWorkflowId}/repair/${deviceId}`
    : `repair-${parentOrCluster.cluster}/${instance}/${deviceId}`;

/** A read-only check run from the CLI (`plan`, `diagnose`, `start`'s preflight): unique per call. */
export const checkWorkflowId = (cluster: string, purpose: string, nowMs: number) => `${cluster}/${purpose}/${nowMs}`;

/**
 * Where a cluster's repairs (of one instance, when given) live in the id space: both forms of
 * repairWorkflowId, as prefixes for a visibility query (`WorkflowId STARTS_WITH …`).
 */
export const repairIdPrefixes = (cluster: string, instance?: string): string[] =>
  instance
    ? [`repair-${cluster}/${instance}/`, `${rolloutWorkflowId(cluster)}/${instance}/repair/`]
    : [`repair-${cluster}/`, `${rolloutWorkflowId(cluster)}/`];

export interface RepairIdParts {
  instance: string;
  deviceId: string;
  /** `repair` by hand, or a rollout's automatic repair after rejoin. */
  startedBy: 'hand' | 'rollout';
}

/** The instance and device a repair's workflow id names (undefined: not a repair id of `cluster`). */
export function repairIdParts(cluster: string, workflowId: string): RepairIdParts | undefined {
  const byHand = workflowId.startsWith(`repair-${cluster}/`) && workflowId.split('/');
  if (byHand && byHand.length === 3) return { instance: byHand[1]!, deviceId: byHand[2]!, startedBy: 'hand' };
  const auto = workflowId.startsWith(`${rolloutWorkflowId(cluster)}/`) && workflowId.split('/');
  if (auto && auto.length === 4 && auto[2] === 'repair')
    return { instance: auto[1]!, deviceId: auto[3]!, startedBy: 'rollout' };
  return undefined;
}
