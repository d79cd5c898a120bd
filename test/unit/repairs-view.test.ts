// `status`'s emergency repairs: which workflow ids count as the cluster's (or one instance's) repairs, the
// visibility query that finds them, and the section an operator reads.
import { describe, expect, it } from 'vitest';
import { repairsQuery, type RepairRow } from '../../src/cli/repairs.js';
import { repairsSection } from '../../src/cli/views/repairs-view.js';
import { repairIdParts, repairWorkflowId } from '../../src/shared/ids.js';

const DEVICE = 'bf8a04147b3718f2a74a9999b4659338dc1f06cdcfec2c3e39d69305efab8870';

describe('repair ids', () => {
  it('reads instance, device and who started it from both id forms, and nothing from other ids', () => {
    const byHand = repairWorkflowId({ cluster: 'prod' }, 'gw-2', DEVICE);
    const auto = repairWorkflowId({ instanceWorkflowId: 'rollout-prod/gw-1' }, 'gw-1', DEVICE);
    expect(repairIdParts('prod', byHand)).toEqual({ instance: 'gw-2', deviceId: DEVICE, startedBy: 'hand' });
    expect(repairIdParts('prod', auto)).toEqual({ instance: 'gw-1', deviceId: DEVICE, startedBy: 'rollout' });
    expect(repairIdParts('prod', 'rollout-prod/gw-1')).toBeUndefined();
    expect(repairIdParts('prod', `rollout-prod-eu/gw-1/repair/${DEVICE}`)).toBeUndefined();
    expect(repairIdParts('prod', `repair-prod-eu/gw-1/${DEVICE}`)).toBeUndefined();
  });

  it('queries both id forms of the cluster, or of one instance, running or closed since the cut-off', () => {
    const since = new Date('2026-12-06T20:00:00Z');
    expect(repairsQuery('prod', since)).toBe(
      "WorkflowType = 'emergencyRepair' AND (WorkflowId STARTS_WITH 'repair-prod/' OR WorkflowId STARTS_WITH 'rollout-prod/') " +
        "AND (ExecutionStatus = 'Running' OR CloseTime >= '2026-12-06T20:00:00.000Z')",
    );
    expect(repairsQuery('prod', since, 'gw-2')).toContain(
      "(WorkflowId STARTS_WITH 'repair-prod/gw-2/' OR WorkflowId STARTS_WITH 'rollout-prod/gw-2/repair/')",
    );
  });
});

describe('repairsSection', () => {
  const row = (over: Partial<RepairRow>): RepairRow => ({
    instance: 'gw-2',
    deviceId: DEVICE,
    startedBy: 'hand',
    workflowId: `repair-prod/gw-2/${DEVICE}`,
    running: true,
    state: 'AwaitingApproval',
    detail: 'request r-17 waits for approve-repair',
    startTime: new Date('2026-12-07T19:40:01.500Z'),
    ...over,
  });

  it('shows each repair: instance, device, state, times, who started it, what it waits for or how it ended', () => {
    const text = repairsSection({
      rows: [
        row({}),
        row({
          instance: 'gw-1',
          startedBy: 'rollout',
          running: false,
          state: 'failed',
          detail: 'op-1 (operator) on gw-1 was approved but did not connect',
          closeTime: new Date('2026-12-07T10:05:00Z'),
        }),
      ],
      truncated: false,
    });
    expect(text.split('\n')).toEqual([
      'emergency repairs (running, and finished in the last 24 h):',
      'instance  device        state             started (UTC)        ended (UTC)          started by   detail',
      'gw-2      bf8a04147b37  AwaitingApproval  2026-12-07 19:40:01  -                    repair       request r-17 waits for approve-repair',
      'gw-1      bf8a04147b37  failed            2026-12-07 19:40:01  2026-12-07 10:05:00  the rollout  op-1 (operator) on gw-1 was approved but did not connect',
    ]);
  });

  it('says when there are none, for the cluster or the instance asked about, and when the list was cut', () => {
    expect(repairsSection({ rows: [], truncated: false })).toBe(
      'emergency repairs: none running or finished in the last 24 h',
    );
    expect(repairsSection({ rows: [], truncated: false }, 'gw-3')).toBe(
      "gw-3's emergency repairs: none running or finished in the last 24 h",
    );
    expect(repairsSection({ rows: [row({})], truncated: true }, 'gw-2')).toMatch(
      /^gw-2's emergency repairs \(running, and finished in the last 24 h\):\n[\s\S]*\n\(the newest 1 shown: temporal workflow list --query for all\)$/,
    );
  });
});
