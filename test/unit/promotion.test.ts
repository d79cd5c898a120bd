/** canary mode's evidence gate (src/shared/promotion.ts): promote only on complete evidence no worse than the baseline. */
import { describe, expect, it } from 'vitest';
import { judgePromotion, type SoakFacts } from '../../src/shared/promotion.js';

const clean: SoakFacts = { healthy: true, channelsOk: true, refused: 0, mismatches: 0, samples: [], linesRead: 120 };
const rules = { soak: 60_000, maxRefusals: 0 };
const quiet = { refused: 0, windowMs: 60_000 };

describe('judgePromotion', () => {
  it('promotes a healthy instance with no refused connect', () => {
    expect(judgePromotion(clean, quiet, rules)).toEqual({
      promoted: true,
      why: 'healthy, channels ok, 0 refused connects over 60 s (allowed 0)',
      allowed: 0,
    });
  });

  it('asks a person on one refused connect above the baseline, naming the samples', () => {
    const v = judgePromotion(
      { ...clean, refused: 1, mismatches: 1, samples: ['t device_token_mismatch cli/cli operator'] },
      quiet,
      rules,
    );
    expect(v.promoted).toBe(false);
    expect(v.why).toBe(
      '1 refused connects (1 device token mismatch) during the soak, over the 0 allowed (baseline 0 in 60 s, policy.approvals.maxRefusals 0): t device_token_mismatch cli/cli operator',
    );
  });

  it('allows the baseline scaled to the soak plus maxRefusals', () => {
    // 3 refusals in 30 s before the rollout → 6 expected in a 60 s soak, plus 1 allowed by the policy.
    const v = judgePromotion(
      { ...clean, refused: 7 },
      { refused: 3, windowMs: 30_000 },
      { soak: 60_000, maxRefusals: 1 },
    );
    expect(v).toMatchObject({ promoted: true, allowed: 7 });
    expect(
      judgePromotion({ ...clean, refused: 8 }, { refused: 3, windowMs: 30_000 }, { soak: 60_000, maxRefusals: 1 })
        .promoted,
    ).toBe(false);
  });

  it.each([
    ['no baseline', clean, null, 'no baseline from preflight: never promoted on no data'],
    ['no soak evidence', undefined, quiet, 'no evidence from the soak: never promoted on no data'],
    ['an empty log', { ...clean, linesRead: 0 }, quiet, 'the gateway log returned no records (no data)'],
    ['an unhealthy gateway', { ...clean, healthy: false }, quiet, 'gateway not healthy'],
    ['failing channels', { ...clean, channelsOk: false }, quiet, 'channels probe not healthy'],
  ] as const)('never promotes on %s', (_name, facts, baseline, why) => {
    const v = judgePromotion(facts, baseline, rules);
    expect(v.promoted).toBe(false);
    expect(v.why).toContain(why);
  });
});
