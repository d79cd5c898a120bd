/** An instance's progress before anything ran: how the rollout lists it, and how its own workflow starts. */
import type { InstanceProgress } from '../../shared/messages/rollout.js';

export const pendingProgress = (instance: string): InstanceProgress => ({
  instance,
  phase: 'Pending',
  versionBefore: null,
  versionAfter: null,
  steps: [],
  ignored: [],
  approvalTimeouts: 0,
});
