// A share of the fleet as a count of instances: rounded down like Kubernetes' maxUnavailable, never
// below the floor the field needs (a batch of at least 1, a failure budget of at least 0).
import { describe, expect, it } from 'vitest';
import { countOf, countText, policyCountsLine } from '../../src/shared/counts.js';

describe('countOf', () => {
  it('keeps a number as it is, whatever the fleet', () => {
    expect(countOf(3, 1000, 1)).toBe(3);
    expect(countOf(0, 10, 0)).toBe(0);
  });

  it('rounds a percentage down', () => {
    expect(countOf('10%', 25, 1)).toBe(2);
    expect(countOf('5%', 5000, 1)).toBe(250);
    expect(countOf('100%', 7, 1)).toBe(7);
    expect(countOf('33%', 10, 0)).toBe(3);
  });

  it('never goes below the floor', () => {
    expect(countOf('1%', 50, 1)).toBe(1);
    expect(countOf('0%', 50, 1)).toBe(1);
    expect(countOf('10%', 5, 0)).toBe(0);
  });
});

describe('countText', () => {
  it('shows how a share of the fleet became a count, and a number as it is', () => {
    expect(countText('10%', 40, 1)).toBe('10% of 40 = 4');
    expect(countText('10%', 5, 0)).toBe('10% of 5 = 0');
    expect(countText(3, 40, 1)).toBe('3');
    expect(policyCountsLine({ batchSize: '10%', maxFailedInstances: '5%' }, 40)).toBe(
      'batch size 10% of 40 = 4; failure budget (policy.maxFailedInstances) 5% of 40 = 2',
    );
    expect(policyCountsLine({ batchSize: 2 }, 40)).toBe('batch size 2; failure budget (policy.maxFailedInstances) 1');
  });
});
