/**
 * `deviceDiagnosis`: what every instance of the cluster knows about one device (pairing entry, pending
 * requests, refused connects since `sinceMs`), gathered on each instance's own task queue (its gateway
 * may live on another host). Read-only; the verdict is drawn from these facts by src/cli/diagnose/verdict.ts.
 */
import { recordMismatchRefusals } from './lib/metrics.js';
import type { Instance, Policy } from '../shared/inventory.js';
import type { DeviceFacts } from '../shared/facts.js';
import { hostActivities } from './activity-options.js';

export interface DeviceDiagnosisInput {
  /** For the metrics (absent in diagnoses started before them: none recorded). */
  cluster?: string;
  instances: Instance[];
  policy: Policy;
  taskQueue: string;
  deviceId: string;
  sinceMs: number;
}

export type InstanceDeviceFacts = { instance: string } & (
  { ok: true; facts: DeviceFacts } | { ok: false; error: string }
);

export async function deviceDiagnosis(input: DeviceDiagnosisInput): Promise<InstanceDeviceFacts[]> {
  // Diagnosis must be quick: two attempts per instance, not the rollout's full retry budget.
  const policy = { ...input.policy, retries: { ...input.policy.retries, maxAttempts: 2 } };
  return Promise.all(
    input.instances.map(async (instance): Promise<InstanceDeviceFacts> => {
      const acts = hostActivities(policy, { baseQueue: input.taskQueue, instance });
      try {
        const facts = await acts.inspectDevice({ instance, policy }, input.deviceId, input.sinceMs);
        const mismatches = facts.refusals.filter((r) => r.reason === 'device_token_mismatch').length;
        if (input.cluster)
          recordMismatchRefusals({ cluster: input.cluster, instance: instance.id }, 'diagnose', mismatches, false);
        return { instance: instance.id, ok: true, facts };
      } catch (err) {
        return {
          instance: instance.id,
          ok: false,
          error: (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message,
        };
      }
    }),
  );
}
