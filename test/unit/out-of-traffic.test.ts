/** The time an instance was out of traffic, from its recorded step times: the periods, the status cell, the summary. */
import { describe, expect, it } from 'vitest';
import { outOfTraffic } from '../../src/shared/out-of-traffic.js';
import { durationText, outOfTrafficCell, outOfTrafficSummary } from '../../src/cli/views/out-of-traffic-view.js';
import type { InstanceProgress, StepRecord } from '../../src/shared/messages/rollout.js';
import type { StepId } from '../../src/shared/steps.js';

const at = (hms: string) => `2026-11-24T${hms}.000Z`;
const step = (id: StepId | undefined, label: string, status: StepRecord['status'], from: string, to?: string) => ({
  ...(id ? { id } : {}),
  step: label,
  status,
  startedAt: at(from),
  ...(to ? { endedAt: at(to) } : {}),
});
const slot = (steps: StepRecord[], instance = 'gw-1'): InstanceProgress => ({
  instance,
  phase: 'Done',
  versionBefore: '2026.9.5',
  versionAfter: '2026.9.6',
  steps,
  ignored: [],
  approvalTimeouts: 0,
});

/** An instance rolled forward: drained at 10:00:00, rejoined (the call ended) at 10:01:45. */
const rolled = slot([
  step('read-version', 'read version before', 'ok', '09:59:58', '09:59:59'),
  step('drain', 'drain', 'ok', '10:00:00', '10:00:01'),
  step('wait-drain', 'wait for sessions to drain', 'ok', '10:00:01', '10:00:05'),
  step('install', 'install 2026.9.6 (global)', 'ok', '10:00:05', '10:00:50'),
  step('rejoin', 'rejoin', 'ok', '10:01:44', '10:01:45'),
  step('verify-after-rejoin', 'verify after rejoin', 'ok', '10:01:45', '10:01:50'),
]);

describe('outOfTraffic', () => {
  it('runs from the drain call to the end of the rejoin call', () => {
    expect(outOfTraffic(rolled)).toEqual({
      instance: 'gw-1',
      periods: [{ from: at('10:00:00'), to: at('10:01:45') }],
      totalMs: 105_000,
    });
  });

  it('is still open while the instance waits for approval, and a failed rejoin does not close it', () => {
    const waiting = slot([
      step('drain', 'drain', 'ok', '10:00:00', '10:00:01'),
      step('rejoin', 'rejoin', 'failed', '10:02:00', '10:02:01'),
    ]);
    expect(outOfTraffic(waiting)).toEqual({
      instance: 'gw-1',
      periods: [{ from: at('10:00:00') }],
      totalMs: 0,
      outSince: at('10:00:00'),
    });
  });

  it('counts each stay: a rollback after the rejoin drains again; a retried drain opens no second period', () => {
    const twice = slot([
      step('drain', 'drain', 'failed', '10:00:00', '10:00:01'),
      step('drain', 'drain', 'ok', '10:00:10', '10:00:11'),
      step('rejoin', 'rejoin', 'ok', '10:01:00', '10:01:00'),
      step('drain', 'drain (rollback)', 'ok', '10:05:00', '10:05:01'),
      step('put-back', 'put back in traffic', 'ok', '10:06:30', '10:06:30'),
    ]);
    const o = outOfTraffic(twice);
    expect(o.periods).toEqual([
      { from: at('10:00:00'), to: at('10:01:00') },
      { from: at('10:05:00'), to: at('10:06:30') },
    ]);
    expect(o.totalMs).toBe(150_000);
    expect(o.outSince).toBeUndefined();
  });

  it('reads progress recorded before step ids by its labels, and never a labelled record with another id', () => {
    const legacy = slot([
      step(undefined, 'drain', 'ok', '10:00:00', '10:00:01'),
      step(undefined, 'rejoin', 'ok', '10:00:30', '10:00:31'),
    ]);
    expect(outOfTraffic(legacy).totalMs).toBe(31_000);
    const relabelled = slot([step('doctor', 'drain', 'ok', '10:00:00', '10:00:01')]);
    expect(outOfTraffic(relabelled).periods).toEqual([]);
  });

  it('an instance left alone never leaves traffic', () => {
    const alone = slot([step('already-on-target', 'already on target', 'skipped', '10:00:00', '10:00:00')]);
    expect(outOfTraffic(alone)).toEqual({ instance: 'gw-1', periods: [], totalMs: 0 });
  });
});

describe('out of traffic in words', () => {
  it('durations', () => {
    expect(durationText(44_600)).toBe('45 s');
    expect(durationText(125_000)).toBe('2 min 05 s');
    expect(durationText(3_720_000)).toBe('1 h 02 min');
  });

  it('the status cell: the time once back, since when while out, "-" if never out', () => {
    expect(outOfTrafficCell(rolled)).toBe('1 min 45 s');
    expect(outOfTrafficCell(slot([step('drain', 'drain', 'running', '10:00:00')]))).toBe('out since 10:00:00');
    expect(outOfTrafficCell(slot([]))).toBe('-');
  });

  it('the summary: one line per instance, with from when to when', () => {
    const text = outOfTrafficSummary([
      rolled,
      slot([step('drain', 'drain', 'ok', '10:03:00', '10:03:01')], 'gw-2'),
      slot([], 'gw-3'),
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^instance\s+out of traffic\s+drain → back in traffic \(UTC\)$/);
    expect(lines[1]).toMatch(/^gw-1\s+1 min 45 s\s+10:00:00 → 10:01:45$/);
    expect(lines[2]).toMatch(/^gw-2\s+still out\s+10:03:00 → still out$/);
    expect(lines[3]).toMatch(/^gw-3\s+never left traffic\s*$/);
  });
});
