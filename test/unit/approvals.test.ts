/** The approval rules of policy.approvals (allowed approvers, four-eyes, the modes), and the payloads and options of every approval path. */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../src/shared/inventory.js';
import { approvalRules, checkApprover, checkDecision } from '../../src/shared/messages/rollout.js';
import { checkManyDecision } from '../../src/shared/messages/standing.js';
import { approveScope } from '../../src/cli/commands/approve-many.js';
import { UsageError } from '../../src/cli/command.js';

const open = { approvers: [], fourEyes: false };
const fourEyes = { approvers: [], fourEyes: true };
const listed = { approvers: ['alice', 'bob'], fourEyes: true };

describe('checkApprover', () => {
  it.each([
    ['anyone may approve without rules', 'approve', 'carol', open, 'carol', undefined],
    [
      'four-eyes refuses the starter approving',
      'approve',
      'carol',
      fourEyes,
      'carol',
      /four-eyes: carol started this rollout/,
    ],
    ['four-eyes lets the starter reject', 'reject', 'carol', fourEyes, 'carol', undefined],
    ['four-eyes lets another person approve', 'approve', 'dave', fourEyes, 'carol', undefined],
    ['a listed approver may approve', 'approve', 'alice', listed, 'carol', undefined],
    [
      'an unlisted approver may not approve',
      'approve',
      'mallory',
      listed,
      'carol',
      /mallory is not an allowed approver \(policy\.approvals\.approvers: alice, bob\)/,
    ],
    ['an unlisted approver may not reject either', 'reject', 'mallory', listed, 'carol', /not an allowed approver/],
    ['a listed starter still may not approve under four-eyes', 'approve', 'alice', listed, 'alice', /four-eyes/],
    ['an unknown starter (old rollout) does not block', 'approve', 'alice', fourEyes, undefined, undefined],
  ] as const)('%s', (_name, kind, approver, rules, startedBy, expected) => {
    const reason = checkApprover(kind, approver, { ...rules, approvers: [...rules.approvers] }, startedBy);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });

  it('defaults to four-eyes for rollouts whose policy predates the rules', () => {
    expect(approvalRules(undefined)).toEqual({
      approvers: [],
      fourEyes: true,
      mode: 'each',
      soak: 120_000,
      maxRefusals: 0,
    });
  });

  it('fills the fields a recorded policy lacks (a rollout started before the modes) with their defaults', () => {
    expect(approvalRules({ approvers: ['alice'], fourEyes: false })).toEqual({
      approvers: ['alice'],
      fourEyes: false,
      mode: 'each',
      soak: 120_000,
      maxRefusals: 0,
    });
  });
});

describe('policy.approvals in the inventory', () => {
  const base = {
    cluster: 'c',
    loadBalancer: { type: 'none' },
    instances: [{ id: 'gw-1', gateway: { profile: 'p' }, lbServer: 's', install: { type: 'global' } }],
  };
  it('defaults to four-eyes with no approver list', () => {
    expect(Inventory.parse(base).policy.approvals).toEqual({
      approvers: [],
      fourEyes: true,
      mode: 'each',
      soak: 120_000,
      maxRefusals: 0,
    });
  });
  it('takes the canary mode with its soak and threshold', () => {
    const approvals = { mode: 'canary', soak: '5m', maxRefusals: 2 };
    expect(Inventory.parse({ ...base, policy: { approvals } }).policy.approvals).toMatchObject({
      mode: 'canary',
      soak: 300_000,
      maxRefusals: 2,
    });
  });
  it('names the field and the choices for an unknown mode, and a negative threshold', () => {
    const r = Inventory.safeParse({ ...base, policy: { approvals: { mode: 'auto' } } });
    expect(r.error?.issues[0]?.message).toBe('policy.approvals.mode: "auto" is not a mode (use each, batch or canary)');
    const n = Inventory.safeParse({ ...base, policy: { approvals: { maxRefusals: -1 } } });
    expect(n.error?.issues[0]?.message).toBe('policy.approvals.maxRefusals must be 0 or more');
  });
  it('names the field when an approver name is empty', () => {
    const r = Inventory.safeParse({ ...base, policy: { approvals: { approvers: ['alice', ' '] } } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('an approver name must not be empty');
    expect(r.error?.issues[0]?.path).toEqual(['policy', 'approvals', 'approvers', 1]);
  });
  it('refuses unknown keys', () => {
    expect(Inventory.safeParse({ ...base, policy: { approvals: { fourEye: false } } }).success).toBe(false);
  });
});

describe('checkDecision (the payload every approval path accepts)', () => {
  it.each([
    [null, /one JSON object/],
    [['gw-1'], /one JSON object/],
    [{ approver: 'a' }, /^instance:/],
    [{ instance: 'gw-1', approver: '' }, /^approver:/],
    [{ instance: 'gw-1', approver: 'a', comment: 5 }, /^comment:/],
    [{ instance: 'gw-1', approver: 'a', force: true }, /unknown field\(s\) force/],
  ])('refuses %j', (payload, problem) => {
    const r = checkDecision(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });
  it('takes via batch or rest (set by the rollout), and refuses a person claiming the policy', () => {
    expect(checkDecision({ instance: 'gw-1', approver: 'alice', via: 'rest' })).toMatchObject({ ok: true });
    expect(checkDecision({ instance: 'gw-1', approver: 'alice', via: 'policy' })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^via: only "batch" or "rest"/),
    });
  });
  it('trims names', () => {
    expect(checkDecision({ instance: ' gw-1 ', approver: ' alice ' })).toEqual({
      ok: true,
      value: { instance: 'gw-1', approver: 'alice' },
    });
  });
});

describe('checkManyDecision (approve --batch and --rest)', () => {
  it.each([
    ['batch', { approver: '' }, /^approver:/],
    ['batch', { approver: 'a', withdraw: true }, /unknown field\(s\) withdraw: only approver, comment$/],
    ['rest', { approver: 'a', withdraw: 'yes' }, /^withdraw: expected true or false/],
    ['rest', { approver: 'a', instance: 'gw-1' }, /unknown field\(s\) instance/],
  ] as const)('%s refuses %j', (scope, payload, problem) => {
    const r = checkManyDecision(payload, scope);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });
  it('takes a withdrawal of the rest', () => {
    expect(checkManyDecision({ approver: ' bob ', withdraw: true }, 'rest')).toEqual({
      ok: true,
      value: { approver: 'bob', withdraw: true },
    });
  });
});

describe('approve: one of --instance, --batch, --rest', () => {
  it.each([
    [
      {},
      'approve: give exactly one of --instance <id> (one instance), --batch (the current batch) or --rest (every later instance)',
    ],
    [{ instance: 'gw-1', rest: true }, 'got --instance and --rest'],
    [{ batch: true, withdraw: true }, 'approve: --withdraw goes with --rest'],
  ])('refuses %j', (values, message) => {
    expect(() => approveScope('approve', values)).toThrow(UsageError);
    expect(() => approveScope('approve', values)).toThrow(message);
  });
  it('takes each alone', () => {
    expect(approveScope('approve', { instance: 'gw-1' })).toBe('instance');
    expect(approveScope('approve', { batch: true })).toBe('batch');
    expect(approveScope('approve', { rest: true, withdraw: true })).toBe('rest');
  });
});
