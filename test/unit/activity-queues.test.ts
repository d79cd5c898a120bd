/**
 * Activity proxies are typed by the queue that serves them (src/workflows/activity-options.ts): the
 * compiler refuses a host command scheduled on the central queue, and a load-balancer call on a host's
 * queue. The checks here are the compiler's: `npm run typecheck` (the suite's first step) fails when a
 * `@ts-expect-error` below stops being an error. The one runtime test keeps the file in vitest's list.
 */
import { describe, expect, it } from 'vitest';
import type { Activities, CentralActivities, HostActivities } from '../../src/activities/index.js';
import { centralActivities, hostActivities, notifyActivities } from '../../src/workflows/activity-options.js';
import type { Policy } from '../../src/shared/inventory.js';

/** Never called (proxies only work inside a workflow): it exists for the compiler. */
export function wrongQueues(policy: Policy): unknown[] {
  const central = centralActivities(policy, 'rollout');
  const host = hostActivities(policy, { baseQueue: 'rollout', instance: { host: 'h1' } });
  const notify = notifyActivities('rollout');
  return [
    central.lbDrain,
    central.sendNotification,
    central.preflightRouting,
    host.restartGateway,
    host.createBackup,
    host.listDevices,
    // @ts-expect-error a gateway restart runs on its host, never on the central queue
    central.restartGateway,
    // @ts-expect-error a backup reads the host's files
    central.createBackup,
    // @ts-expect-error the load balancer is driven from the central worker
    host.lbDrain,
    // @ts-expect-error notifications go out from the central worker
    host.sendNotification,
    // @ts-expect-error the notifier's proxy has no host commands
    notify.runReconnectHook,
  ];
}

/** Every activity is served by exactly one kind of queue. */
type Unclassified = Exclude<keyof Activities, keyof CentralActivities | keyof HostActivities>;
type Both = Extract<keyof CentralActivities, keyof HostActivities>;
const none: [Unclassified, Both] extends [never, never] ? true : false = true;

describe('activity proxies typed by queue', () => {
  it('classify every activity as central or host, none as both (checked by the compiler)', () => {
    expect(none).toBe(true);
  });
});
