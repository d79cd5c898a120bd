/**
 * Parser of `openclaw doctor --fix --non-interactive` (human output only: doctor refuses --json with
 * --fix): what it changed, what went wrong, its warnings.
 */
import { quote } from '../../host/redact.js';
import { type Captured } from './json.js';

export interface DoctorFixOutput {
  /** What doctor says it changed: the items of its "Doctor changes" notes and its "Updated config" lines. */
  changes: string[];
  /** Why it stopped or what went wrong, in its words (stderr, and stdout lines outside its notes). */
  problems: string[];
  /** It printed "Doctor complete." */
  complete: boolean;
  /** Its "[warning] <checkId> ..." lines. */
  warnings: string[];
}

/**
 * `openclaw doctor --fix --non-interactive` prints clack notes (`◇  <title> ───╮`, `│  <text>  │`,
 * `├───╯`) and plain lines (test/fixtures/openclaw/doctor-fix.*.txt). Exit 0 with "Doctor complete."
 * when it ran; exit 1 with one plain sentence when it refused (another process owns the state:
 * doctor-fix.gateway-running.stderr.txt; schemas newer than the build: doctor-fix.state-too-new.txt).
 * The exit code decides whether it ran; this only collects its words.
 */
export function parseDoctorFix(out: Captured): DoctorFixOutput {
  const changes: string[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  let box: { title: string; items: string[] } | undefined;
  const closeBox = () => {
    if (box && /^Doctor changes$/i.test(box.title)) changes.push(...box.items);
    box = undefined;
  };
  for (const raw of out.stdout.split('\n')) {
    const line = raw.trimEnd();
    const open = /^◇\s+(.+?)\s+─+╮$/.exec(line);
    if (open) {
      closeBox();
      box = { title: open[1]!, items: [] };
      continue;
    }
    if (box) {
      if (/^├─+╯$/.test(line)) {
        closeBox();
        continue;
      }
      const inner = /^│\s?(.*?)\s*│$/.exec(line)?.[1];
      if (inner === undefined) continue;
      const t = inner.trim();
      if (t === '') continue;
      // An item starts with "- "; a wrapped line continues the item (or paragraph) before it.
      if (t.startsWith('- ') || box.items.length === 0) box.items.push(t.replace(/^- /, ''));
      else box.items[box.items.length - 1] += ` ${t}`;
      continue;
    }
    const t = line.replace(/^[│┌└]\s*/, '').trim();
    if (t === '' || /^OpenClaw doctor$/.test(t) || /^Doctor complete\.$/.test(t)) continue;
    if (/^Updated config: /.test(t)) changes.push(t);
    else if (/^Backup: /.test(t) && changes.at(-1)?.startsWith('Updated config: '))
      changes[changes.length - 1] += ` (${t.toLowerCase()})`;
    else if (/^\[warning\] /.test(t)) warnings.push(t.replace(/^\[warning\] /, ''));
    else if (/^fix: /.test(t))
      continue; // the fixHint under a [warning] line
    else problems.push(t);
  }
  closeBox();
  for (const l of out.stderr.split('\n')) if (l.trim() && !/^\[state\/db\] /.test(l.trim())) problems.push(l.trim());
  return {
    changes,
    problems: problems.map((p) => quote(p, 800)),
    complete: /Doctor complete\./.test(out.stdout),
    warnings,
  };
}
