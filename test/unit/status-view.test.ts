/** `status` rendering: the columns an operator reads, and the --watch writer on a terminal and in a log. */
import { describe, expect, it } from 'vitest';
import { progressTable, waitingFor, watchWriter } from '../../src/cli/views/status-view.js';
import { withLiveInstances } from '../../src/cli/live-progress.js';
import type { InstanceProgress, RolloutProgress } from '../../src/shared/messages/rollout.js';

const slot = (over: Partial<InstanceProgress>): InstanceProgress => ({
  instance: 'gw-1',
  phase: 'Pending',
  versionBefore: null,
  versionAfter: null,
  steps: [],
  ignored: [],
  approvalTimeouts: 0,
  ...over,
});

const progress: RolloutProgress = {
  rolloutId: 'rollout-prod',
  cluster: 'prod',
  targetVersion: '2026.9.6',
  startedBy: 'carol',
  phase: 'RollingOut',
  current: ['gw-2'],
  instances: [
    slot({
      instance: 'gw-1',
      phase: 'Done',
      versionBefore: '2026.9.5',
      versionAfter: '2026.9.6',
      sessions: 0,
      decision: { kind: 'approve', approver: 'alice', instance: 'gw-1', at: 't' },
      steps: [{ step: 'verify after rejoin', status: 'ok', startedAt: 't' }],
    }),
    slot({
      instance: 'gw-2',
      phase: 'AwaitingApproval',
      versionBefore: '2026.9.5',
      versionAfter: '2026.9.6',
      sessions: 2,
      steps: [
        { step: 'verify channels probe', status: 'ok', startedAt: 't' },
        { step: 'rotate op-1 (operator)', status: 'ok', startedAt: 't' },
      ],
    }),
    slot({
      instance: 'gw-3',
      phase: 'Draining',
      steps: [{ step: 'wait for sessions to drain', status: 'running', startedAt: 't' }],
    }),
  ],
  ignored: [],
};

describe('progressTable after a way back', () => {
  const done = (over: Partial<InstanceProgress>) =>
    slot({ phase: 'Done', versionBefore: '2026.9.5', versionAfter: '2026.9.5', ...over });
  const approved = { kind: 'approve' as const, approver: 'alice', instance: 'gw-1', at: 't' };
  const text = progressTable({
    ...progress,
    phase: 'Done',
    current: [],
    instances: [
      done({
        decision: approved,
        decisions: [{ instance: 'gw-1', decision: 'rollback', by: 'bob', at: 't' }],
      }),
      done({
        instance: 'gw-2',
        versionAfter: '2026.9.6',
        decision: { ...approved, instance: 'gw-2' },
        rejection: { kind: 'reject', approver: 'dave', instance: 'gw-2', at: 't' },
      }),
      slot({ instance: 'gw-3', phase: 'Skipped' }),
    ],
  });
  const row = (id: string) => text.split('\n').find((l) => l.startsWith(id))!;
  it('does not read as a plain success: the rollout and each instance say rolled back, rejected, skipped', () => {
    expect(text.split('\n')[0]).toBe(
      'rollout rollout-prod: Done with exceptions (1 rolled back, 1 skipped), target 2026.9.6',
    );
    expect(row('gw-1')).toContain('Done (rolled back)');
    expect(row('gw-1')).toContain('rolled back (decided by bob) to 2026.9.5, then approved by alice');
    expect(row('gw-2')).toContain('Done (after a rejection)');
    expect(row('gw-2')).toContain('rejected by dave, approved by alice');
  });
});

describe('progressTable', () => {
  const text = progressTable(progress, {
    approvals: { approvers: ['alice', 'bob'], fourEyes: true },
    startedBy: 'carol',
  });
  const row = (id: string) => text.split('\n').find((l) => l.startsWith(id))!;

  it('has the columns of the issue', () => {
    expect(text.split('\n')[1]).toMatch(
      /^instance\s+phase\s+version\s+sessions\s+out of traffic\s+last check\s+waiting for$/,
    );
    expect(text.split('\n')[0]).toBe('rollout rollout-prod: RollingOut, target 2026.9.6, now gw-2');
  });
  it('says who may approve a waiting instance, and who may not', () => {
    expect(row('gw-2')).toMatch(
      /AwaitingApproval\s+2026\.9\.5 → 2026\.9\.6\s+2\s+-\s+verify channels probe: ok\s+approval by alice or bob \(not carol\)$/,
    );
  });
  it('shows decisions, sessions and running steps', () => {
    expect(row('gw-1')).toMatch(/Done .* 0 .*verify after rejoin: ok\s+approved by alice$/);
    expect(row('gw-3')).toMatch(/Draining\s+\? → \?\s+draining\s+-\s+-\s+worker: wait for sessions to drain$/);
  });
  it('says when an instance was left alone because it already ran the target', () => {
    const alone = slot({
      phase: 'Done',
      versionBefore: '2026.9.6',
      versionAfter: '2026.9.6',
      alreadyOnTarget: true,
      steps: [{ step: 'already on target', status: 'skipped', startedAt: 't' }],
    });
    expect(waitingFor(alone, {})).toBe('nothing: already on target, left alone (start --force redoes it)');
  });
  it('shows a standing approval and who gave it, then its withdrawal', () => {
    const standing = { scope: 'rest' as const, approver: 'alice', at: '2026-11-30T10:00:00Z', comment: 'canary fine' };
    expect(progressTable({ ...progress, standing }).split('\n')[1]).toBe(
      'standing approval for every later instance, by alice at 2026-11-30T10:00:00Z (canary fine)',
    );
    const withdrawn = { ...standing, withdrawnBy: 'bob', why: 'the rollout was paused', withdrawnAt: 't' };
    expect(progressTable({ ...progress, withdrawn }).split('\n')[1]).toBe(
      'standing approval by alice withdrawn by bob: the rollout was paused',
    );
  });
  it('says who approved for many or by the policy, and why the policy asked a person', () => {
    const decided = (via: 'batch' | 'rest' | 'policy', approver: string) =>
      waitingFor(slot({ phase: 'Done', decision: { instance: 'gw-1', approver, via, kind: 'approve', at: 't' } }), {});
    expect(decided('policy', 'policy')).toBe('approved by policy (canary mode, on evidence)');
    expect(decided('batch', 'alice')).toBe('approved by alice (--batch)');
    const stopped = slot({
      phase: 'AwaitingApproval',
      promotion: { promoted: false, why: '2 refused connects', soakMs: 1000, at: 't' },
    });
    expect(waitingFor(stopped, {})).toBe('approval by any operator; not promoted automatically: 2 refused connects');
    expect(waitingFor(slot({ phase: 'Soaking' }), {})).toContain('promoted on evidence, else a human is asked');
  });
  it('without an approver list anyone may approve; without four-eyes the starter too', () => {
    expect(
      waitingFor(progress.instances[1]!, { approvals: { approvers: [], fourEyes: false }, startedBy: 'carol' }),
    ).toBe('approval by any operator');
  });
});

describe('steps found by id, and by label in progress recorded before step ids', () => {
  const cells = (i: InstanceProgress) => progressTable({ ...progress, instances: [i] }).split('\n')[2]!;

  it('with ids: the drain wait and the checks are found by id, whatever their labels say', () => {
    const draining = slot({
      phase: 'Draining',
      steps: [{ id: 'wait-drain', step: 'wait for gw-1 to drain (3 sessions)', status: 'running', startedAt: 't' }],
    });
    expect(cells(draining)).toMatch(/\s+draining\s+-\s+-\s+worker: wait for gw-1 to drain \(3 sessions\)$/);
    const checked = slot({
      phase: 'AwaitingApproval',
      steps: [
        { id: 'verify-channels', step: 'channels probe', status: 'ok', startedAt: 't' },
        // Labelled like a check, but its id says it is not one.
        { id: 'rotate', step: 'verify-looking rotate label', status: 'ok', startedAt: 't' },
      ],
    });
    expect(cells(checked)).toMatch(/\s+channels probe: ok\s+approval by/);
  });

  it('without ids (older progress): the labels of before', () => {
    const draining = slot({
      phase: 'Draining',
      steps: [{ step: 'wait for sessions to drain', status: 'running', startedAt: 't' }],
    });
    expect(cells(draining)).toMatch(/\s+draining\s+-\s+-\s+worker: wait for sessions to drain$/);
    const checked = slot({
      phase: 'Done',
      steps: [
        { step: 'doctor', status: 'ok', startedAt: 't' },
        { step: 'op-1 connected again', status: 'failed', startedAt: 't' },
        { step: 'rotate op-1 (operator)', status: 'ok', startedAt: 't' },
      ],
    });
    expect(cells(checked)).toMatch(/\s+op-1 connected again: failed\s+-$/);
  });

  it('a record with an id is never matched by its label', () => {
    const relabelled = slot({
      phase: 'Done',
      steps: [{ id: 'install', step: 'verify the install', status: 'ok', startedAt: 't' }],
    });
    expect(cells(relabelled)).toMatch(/\?\s+-\s+-\s+-\s+-$/);
  });
});

describe('watchWriter', () => {
  const clock = () => new Date('2026-11-24T10:00:00Z');
  it('on a terminal, redraws in place over the previous table', () => {
    const out: string[] = [];
    const show = watchWriter((s) => out.push(s), true, clock);
    show('a\nb');
    show('a\nc');
    expect(out[0]).toBe('a\nb\n(updated 10:00:00; Ctrl-C stops watching, not the rollout)');
    // Three lines were written: go up three lines, clear, redraw.
    expect(out[1]).toBe('\x1b[3F\x1b[0Ja\nc\n(updated 10:00:00; Ctrl-C stops watching, not the rollout)');
  });
  it('in a log, prints a stamped table only when it changed, and never escape codes', () => {
    const out: string[] = [];
    const show = watchWriter((s) => out.push(s), false, clock);
    show('a');
    show('a');
    show('b');
    expect(out).toEqual(['[2026-11-24T10:00:00.000Z]\na', '[2026-11-24T10:00:00.000Z]\nb']);
    expect(out.join('')).not.toContain('\x1b');
  });
});

describe('withLiveInstances', () => {
  it("shows the step an instance runs now from its own workflow, the rollout's copy for the others", () => {
    const live = slot({
      instance: 'gw-3',
      phase: 'Updating',
      steps: [{ id: 'install', step: 'install 2026.9.6 (global)', status: 'running', startedAt: 't' }],
    });
    const merged = withLiveInstances(progress, [live, undefined]);
    expect(merged.instances.map((i) => i.phase)).toEqual(['Done', 'AwaitingApproval', 'Updating']);
    const row = progressTable(merged)
      .split('\n')
      .find((l) => l.startsWith('gw-3'));
    expect(row).toMatch(/Updating .*worker: install 2026\.9\.6 \(global\)$/);
    expect(withLiveInstances(progress, [])).toEqual(progress);
  });

  it("keeps the rollout's copy until the rollout heard a phase it acts on (what status shows waiting, approve accepts)", () => {
    const waiting = slot({ instance: 'gw-3', phase: 'AwaitingApproval' });
    const before = { ...progress, instances: progress.instances.map((i) => ({ ...i, phase: 'Draining' as const })) };
    expect(withLiveInstances(before, [waiting]).instances.at(-1)?.phase).toBe('Draining');
    const heard = {
      ...before,
      instances: [...before.instances.slice(0, 2), { ...before.instances[2]!, phase: 'AwaitingApproval' as const }],
    };
    expect(withLiveInstances(heard, [waiting]).instances.at(-1)?.phase).toBe('AwaitingApproval');
    // A retry after a failure: Failed until the rollout heard the step runs again.
    const failed = {
      ...before,
      instances: [...before.instances.slice(0, 2), { ...before.instances[2]!, phase: 'Failed' as const }],
    };
    expect(withLiveInstances(failed, [slot({ instance: 'gw-3', phase: 'Updating' })]).instances.at(-1)?.phase).toBe(
      'Failed',
    );
  });
});
