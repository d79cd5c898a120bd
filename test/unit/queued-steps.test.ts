/** `status` on a step no worker took: found from the pending activities, and said with its task queue. */
import { describe, expect, it } from 'vitest';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { QUEUED_NOTICE_MS, queuedStep } from '../../src/cli/queued-steps.js';
import { waitingFor } from '../../src/cli/views/status-view.js';
import type { InstanceProgress } from '../../src/shared/messages/rollout.js';

const { PENDING_ACTIVITY_STATE_SCHEDULED: SCHEDULED, PENDING_ACTIVITY_STATE_STARTED: STARTED } =
  temporal.api.enums.v1.PendingActivityState;
const NOW = 1_800_000_000_000;
const at = (ms: number) => msNumberToTs(ms);
const pending = (over: Partial<temporal.api.workflow.v1.IPendingActivityInfo>) => ({
  activityType: { name: 'gatewayStatus' },
  state: SCHEDULED,
  scheduledTime: at(NOW - 12_000),
  activityOptions: { taskQueue: { name: 'openclaw-rollout@gw-host-1' } },
  ...over,
});

describe('queuedStep', () => {
  it('finds an activity scheduled and not taken for QUEUED_NOTICE_MS, with its task queue', () => {
    expect(queuedStep([pending({})], NOW)).toEqual({
      activity: 'gatewayStatus',
      taskQueue: 'openclaw-rollout@gw-host-1',
      waitedMs: 12_000,
    });
  });

  it('leaves out a started activity, a fresh one, and a retry waiting out its backoff', () => {
    expect(queuedStep([pending({ state: STARTED })], NOW)).toBeUndefined();
    expect(queuedStep([pending({ scheduledTime: at(NOW - QUEUED_NOTICE_MS + 500) })], NOW)).toBeUndefined();
    expect(queuedStep([pending({ scheduledTime: at(NOW + 20_000), attempt: 2 })], NOW)).toBeUndefined();
  });
});

describe('waitingFor with a queued step', () => {
  const slot: InstanceProgress = {
    instance: 'gw-2',
    phase: 'VerifyingAfterRejoin',
    versionBefore: '2026.9.5',
    versionAfter: '2026.9.6',
    steps: [{ step: 'verify after rejoin', status: 'running', startedAt: 't' }],
    ignored: [],
    approvalTimeouts: 0,
    decision: { kind: 'approve', approver: 'bob', instance: 'gw-2', at: 't' },
  };

  it("names the host's task queue, the waiting step and the worker command that serves it", () => {
    const queued = new Map([
      ['gw-2', { activity: 'gatewayStatus', taskQueue: 'openclaw-rollout@gw-host-1', waitedMs: 12_400 }],
    ]);
    expect(waitingFor(slot, { queued })).toBe(
      'a worker on task queue openclaw-rollout@gw-host-1: no worker took "verify after rejoin" (gatewayStatus) for 12 s; the step waits, start on gw-host-1: openclaw-rollout worker --inventory <your inventory> --host gw-host-1',
    );
  });

  it('names the central queue without --host, and says the approval once nothing waits', () => {
    const queued = new Map([['gw-2', { activity: 'drainServer', taskQueue: 'openclaw-rollout', waitedMs: 6_000 }]]);
    expect(waitingFor(slot, { queued })).toMatch(
      /task queue openclaw-rollout: .* start openclaw-rollout worker --inventory <your inventory>$/,
    );
    expect(waitingFor(slot, {})).toBe('approved by bob');
  });
});
