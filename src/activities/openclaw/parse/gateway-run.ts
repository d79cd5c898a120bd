/**
 * Parser of what `openclaw gateway run` prints on stdout when it starts on a state an older release
 * wrote: the "Doctor changes" boxes of the startup migration ("Saved pre-migration SQLite backup: …",
 * "Upgraded agent database schema in …: v21 -> v23."). The structured log (logging.file) does not carry
 * them; only stdout does.
 */

/** The bullets of every "Doctor changes" box, continuation lines joined, box drawing removed. */
export function parseStartupChanges(stdout: string): string[] {
  const changes: string[] = [];
  let inBox = false;
  let current: string | undefined;
  const flush = () => {
    if (current) changes.push(current.replace(/\s+/g, ' ').trim());
    current = undefined;
  };
  for (const raw of stdout.split('\n')) {
    if (/^◇\s+Doctor changes/.test(raw)) {
      inBox = true;
      continue;
    }
    if (!inBox) continue;
    if (/^[├└]/.test(raw)) {
      flush();
      inBox = false;
      continue;
    }
    const line = raw.replace(/^│/, '').replace(/│\s*$/, '').trim();
    if (line.startsWith('- ')) {
      flush();
      current = line.slice(2);
    } else if (line && current !== undefined) {
      current += ` ${line}`;
    }
  }
  flush();
  return changes;
}
