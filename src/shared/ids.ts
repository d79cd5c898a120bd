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
