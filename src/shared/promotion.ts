/**
 * canary mode's evidence gate, as a pure judgement: may the policy promote an instance in place of a
 * human? Only on complete evidence (a baseline from preflight, the soak's log and probes) that shows
 * a healthy gateway, healthy channels and no more refused connects than the baseline allows. Anything
 * else, including missing data, asks a human: never promote on no data. Workflow-safe.
 */

/** What the soak saw (the soakEvidence activity's answer). */
export interface SoakFacts {
  healthy: boolean;
  channelsOk: boolean;
  /** Refused connects (device token or scope mismatch) logged since the soak (or baseline window) began. */
  refused: number;
  /** How many of them were `device token mismatch`. */
  mismatches: number;
  /** A few refusals as "time reason client/mode role" (no token, no address). */
  samples: string[];
  /** Log records read: 0 means the log said nothing, which is no evidence. */
  linesRead: number;
}

/** Refused connects the instance logged before the rollout, over a window (from preflight). */
export interface RefusalBaseline {
  refused: number;
  windowMs: number;
}

export interface PromotionVerdict {
  promoted: boolean;
  /** Why it was promoted, or what stopped it (in plain words, for the operator). */
  why: string;
  /** Refused connects the soak may show: maxRefusals plus the baseline scaled to the soak's length. */
  allowed: number;
}

export function judgePromotion(
  facts: SoakFacts | undefined,
  baseline: RefusalBaseline | null,
  rules: { soak: number; maxRefusals: number },
): PromotionVerdict {
  if (!baseline || baseline.windowMs <= 0)
    return { promoted: false, why: 'no baseline from preflight: never promoted on no data', allowed: 0 };
  const allowed = rules.maxRefusals + Math.ceil((baseline.refused * rules.soak) / baseline.windowMs);
  if (!facts) return { promoted: false, why: 'no evidence from the soak: never promoted on no data', allowed };
  const problems = [
    ...(facts.linesRead > 0 ? [] : ['the gateway log returned no records (no data)']),
    ...(facts.healthy ? [] : ['gateway not healthy']),
    ...(facts.channelsOk ? [] : ['channels probe not healthy']),
    ...(facts.refused > allowed
      ? [
          `${facts.refused} refused connects (${facts.mismatches} device token mismatch) during the soak, ` +
            `over the ${allowed} allowed (baseline ${baseline.refused} in ${Math.round(baseline.windowMs / 1000)} s, ` +
            `policy.approvals.maxRefusals ${rules.maxRefusals})${facts.samples.length ? `: ${facts.samples.join(' | ')}` : ''}`,
        ]
      : []),
  ];
  if (problems.length) return { promoted: false, why: problems.join('; '), allowed };
  return {
    promoted: true,
    why: `healthy, channels ok, ${facts.refused} refused connects over ${Math.round(rules.soak / 1000)} s (allowed ${allowed})`,
    allowed,
  };
}
