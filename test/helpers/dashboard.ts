/** The metric names a Grafana dashboard's PromQL uses (every target's expr, and template variable queries). */

/** Identifiers in PromQL that are functions, keywords or label names rather than metrics. */
const NOT_METRICS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'topk',
  'bottomk',
  'quantile',
  'stddev',
  'stdvar',
  'count_values',
  'group',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'max_over_time',
  'min_over_time',
  'avg_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'time',
  'vector',
  'scalar',
  'abs',
  'ceil',
  'floor',
  'round',
  'clamp_min',
  'clamp_max',
  'label_values',
  'label_replace',
  'absent',
  'timestamp',
  'le',
]);

function exprs(node: unknown, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n) => exprs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'expr' || k === 'query') && typeof v === 'string') out.push(v);
      else if (k === 'query' && v && typeof v === 'object' && typeof (v as { query?: unknown }).query === 'string')
        out.push((v as { query: string }).query);
      else exprs(v, out);
    }
  }
  return out;
}

/** Metric names in one PromQL expression: identifiers outside {...} and [...] that are no function or keyword. */
export function promqlMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\$\w+/g, ' ')
    .replace(/label_values\(([^,)]+),[^)]*\)/g, '$1');
  const words = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  // Label names inside by (...) / without (...) / on (...) are not metrics.
  const grouped = new Set(
    [...bare.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) =>
      m[1]!.split(',').map((s) => s.trim()),
    ),
  );
  return [...new Set(words.filter((w) => !NOT_METRICS.has(w) && !grouped.has(w) && !/^\d/.test(w)))];
}

export function dashboardMetricNames(dashboard: unknown): string[] {
  return [...new Set(exprs(dashboard, []).flatMap(promqlMetricNames))].sort();
}
