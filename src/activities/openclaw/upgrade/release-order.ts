/**
 * The order of OpenClaw releases (YYYY.M.N[-pre]): which strings are releases, how two compare, and
 * the stable releases between two. Pure.
 */

// Release order

const RELEASE = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** Whether `v` is a plain release version (2026.9.6, 2026.9.1-beta.1), not a dist-tag. */
export function isReleaseVersion(v: string): boolean {
  return RELEASE.test(v);
}

/** Orders OpenClaw versions (YYYY.M.N[-pre]) numerically; a prerelease sorts before its release. NaN when either is not a version. */
export function compareReleases(a: string, b: string): number {
  const ma = RELEASE.exec(a);
  const mb = RELEASE.exec(b);
  if (!ma || !mb) return Number.NaN;
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  const partsA = pa.split('.');
  const partsB = pb.split('.');
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i];
    const y = partsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    const d = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The stable releases of `published` strictly between `from` and `to` (either order), oldest first. */
export function releasesBetween(from: string, to: string, published: string[]): string[] {
  const [lo, hi] = compareReleases(from, to) <= 0 ? [from, to] : [to, from];
  return published
    .filter((v) => isReleaseVersion(v) && !v.includes('-') && compareReleases(v, lo) > 0 && compareReleases(v, hi) < 0)
    .sort(compareReleases);
}
