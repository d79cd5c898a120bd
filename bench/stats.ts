/** Summaries of repeated measurements: median, spread (min–max) and percentiles. */

export interface Summary {
  /** How many runs the figure summarises. */
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  if (!values.length) throw new Error('summarize: no values');
  return { n: values.length, median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
}

/** Linear-interpolated percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Ratio of two figures' medians. */
export function ratio(a: Summary, b: Summary): number {
  return a.median / b.median;
}
