/**
 * Does a Node version satisfy a package's `engines.node` range? The npm range syntax engines use:
 * `||` alternatives of space-separated comparators (`>=24.16.0 <25`), `^`, `~`, x-ranges (`24.x`, `*`),
 * hyphen ranges (`24.16 - 25`). Prerelease tags are ignored. Anything else: undefined (cannot tell).
 */
type V = [number, number, number];

function parts(s: string): { v: V; given: number } | undefined {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+].*)?$/.exec(s.trim());
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map((p) => (p === undefined || /[xX*]/.test(p) ? undefined : Number(p)));
  const given = nums.findIndex((n) => n === undefined);
  return { v: nums.map((n) => n ?? 0) as V, given: given === -1 ? 3 : given };
}

const cmp = (a: V, b: V) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
/** The first version above the x-range `v` with `given` fixed parts (24 → 25.0.0, 24.16 → 24.17.0). */
const bump = (v: V, given: number): V =>
  given === 0 ? [Infinity, 0, 0] : given === 1 ? [v[0] + 1, 0, 0] : given === 2 ? [v[0], v[1] + 1, 0] : v;

function comparator(c: string, version: V): boolean | undefined {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(c);
  if (!m) return undefined;
  const p = parts(m[2]!);
  if (!p) return undefined;
  const { v, given } = p;
  switch (m[1] ?? '=') {
    case '>=':
      return cmp(version, v) >= 0;
    case '>':
      return given === 3 ? cmp(version, v) > 0 : cmp(version, bump(v, given)) >= 0;
    case '<':
      return cmp(version, v) < 0;
    case '<=':
      return given === 3 ? cmp(version, v) <= 0 : cmp(version, bump(v, given)) < 0;
    case '=':
      return cmp(version, v) >= 0 && (given === 3 ? cmp(version, v) === 0 : cmp(version, bump(v, given)) < 0);
    case '^': {
      const upper: V =
        v[0] > 0 || given <= 1 ? [v[0] + 1, 0, 0] : v[1] > 0 || given === 2 ? [0, v[1] + 1, 0] : [0, 0, v[2] + 1];
      return cmp(version, v) >= 0 && cmp(version, upper) < 0;
    }
    case '~':
      return cmp(version, v) >= 0 && cmp(version, given <= 1 ? [v[0] + 1, 0, 0] : [v[0], v[1] + 1, 0]) < 0;
    default:
      return undefined;
  }
}

/** true/false, or undefined when the range or the version is not in a syntax this understands. */
export function satisfiesRange(version: string, range: string): boolean | undefined {
  const pv = parts(version);
  if (!pv || pv.given !== 3) return undefined;
  const alternatives = range.split('||').map((a) => a.trim());
  let unknown = false;
  for (const alt of alternatives) {
    if (alt === '' || alt === '*' || alt === 'x') return true;
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(alt);
    const comps = hyphen
      ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`]
      : alt.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/);
    const results = comps.map((c) => comparator(c, pv.v));
    if (results.some((r) => r === undefined)) unknown = true;
    else if (results.every(Boolean)) return true;
  }
  return unknown ? undefined : false;
}
