/**
 * The custom search attributes of rollouts, so "which rollouts wait for me" is one filter in the
 * Temporal Web UI or `temporal workflow list --query "OpenclawPhase = 'AwaitingApproval'"`.
 * Workflow-safe (no I/O): the workflows upsert them, the starter checks they are registered.
 *
 * A namespace must register them once (the dev server of the bed and the demo does it at start):
 *   temporal operator search-attribute create --name OpenclawCluster --type Keyword
 *   temporal operator search-attribute create --name OpenclawPhase --type Keyword
 *   temporal operator search-attribute create --name OpenclawInstance --type Keyword
 * Upserting an unregistered attribute fails the workflow task over and over, so the starter only asks
 * the workflows to upsert when it has seen all three registered (input flag `searchAttributes`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CLUSTER_KEY = defineSearchAttributeKey('OpenclawCluster', SearchAttributeType.KEYWORD);
/** Rollout or instance phase, e.g. Preflight, Updating, AwaitingApproval, Done, Rejected, Failed. */
export const PHASE_KEY = defineSearchAttributeKey('OpenclawPhase', SearchAttributeType.KEYWORD);
/** The instance(s) a workflow is working on now (comma-separated for a batch; empty when none). */
export const INSTANCE_KEY = defineSearchAttributeKey('OpenclawInstance', SearchAttributeType.KEYWORD);

export const ROLLOUT_SEARCH_ATTRIBUTES = [CLUSTER_KEY, PHASE_KEY, INSTANCE_KEY] as const;

/** The `temporal operator search-attribute create` commands that register the missing `names`. */
export function registerCommands(names: string[], namespace: string): string[] {
  return names.map(
    (n) => `temporal operator search-attribute create --namespace ${namespace} --name ${n} --type Keyword`,
  );
}
