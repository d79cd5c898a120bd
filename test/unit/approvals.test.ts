/** The approval rules of policy.approvals: allowed approvers and four-eyes, as the workflows apply them. */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../src/shared/inventory.js';
import { approvalRules, checkApprover, checkDecision } from '../../src/shared/messages/rollout.js';

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
    expect(approvalRules(undefined)).toEqual({ approvers: [], fourEyes: true });
  });
});

describe('policy.approvals in the inventory', () => {
  const base = {
    cluster: 'c',
    loadBalancer: { type: 'none' },
    instances: [{ id: 'gw-1', gateway: { profile: 'p' }, lbServer: 's', install: { type: 'global' } }],
  };
  it('defaults to four-eyes with no approver list', () => {
    expect(Inventory.parse(base).policy.approvals).toEqual({ approvers: [], fourEyes: true });
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
  it('trims names', () => {
    expect(checkDecision({ instance: ' gw-1 ', approver: ' alice ' })).toEqual({
      ok: true,
      value: { instance: 'gw-1', approver: 'alice' },
    });
  });
});
