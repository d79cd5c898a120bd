/**
 * `deviceDiagnosis`: what every instance of the cluster knows about one device (pairing entry, pending
 * requests, refused connects since `sinceMs`), gathered on each instance's own task queue (its gateway
 * may live on another host). Read-only; the verdict is drawn from these facts by src/cli/diagnose/verdict.ts.
 */
import type { Instance, Policy } from '../shared/inventory.js';
import type { DeviceFacts } from '../shared/facts.js';
import { hostActivities } from './activity-options.js';

export interface DeviceDiagnosisInput {
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
        return {
          instance: instance.id,
          ok: true,
          facts: await acts.inspectDevice({ instance, policy }, input.deviceId, input.sinceMs),
        };
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
