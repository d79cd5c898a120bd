/**
 * Parser of `openclaw doctor --json --non-interactive`: errors, required migrations, warnings.
 */
import { z } from 'zod';
import { quote } from '../../host/redact.js';
import { parseJson, type Captured } from './json.js';

const DoctorFinding = z
  .object({
    checkId: z.string().optional(),
    severity: z.string(),
    message: z.string(),
    fixHint: z.string().optional(),
    errorCode: z.string().optional(),
  })
  .loose();
const DoctorJson = z
  .object({
    ok: z.boolean(),
    findings: z.array(DoctorFinding).default([]),
  })
  .loose();

export interface DoctorReport {
  /** No finding of severity error, migration requests included (doctor's own `ok` is false for mere warnings). */
  passed: boolean;
  /** Error findings that do not ask for `openclaw doctor --fix` (what a fix is not expected to resolve). */
  errors: string[];
  /**
   * Findings (any severity) and notices that ask for `openclaw doctor --fix`: the migrations the
   * installed release requires, which the update's fix step applies (runDoctorFix).
   */
  migrations: string[];
  /** The subset of `migrations` with severity error (they fail `passed` until the fix ran). */
  blockingMigrations: string[];
  warnings: string[];
  /**
   * doctor said on stderr `state database schema migration pending` (2026.9.6 on a 2026.9.5 state, where
   * no finding says so: the JSON has no field for it; the gateway or `doctor --fix` migrates it).
   */
  migrationPending: boolean;
  /**
   * The installed release refuses the state (`SqliteSchemaVersionError`: a database schema newer than it
   * supports, e.g. 2026.8.2 on a state 2026.9.6 migrated). Neither doctor --fix nor a start helps: restore
   * the backup from before the migration, or install a release that supports the schema.
   */
  stateTooNew: boolean;
}

/**
 * How a finding asks for a migration. The JSON has no field for it: a check whose detection throws
 * ("health check threw: ... has a legacy agent database registry schema; run openclaw doctor --fix to
 * migrate it", test/fixtures/openclaw/doctor.jump-from-2026.8.2.json) carries only checkId, severity and
 * message, and doctor's `requirement`/`fixHint` fields never name a migration in 2026.9.6's findings. So
 * this is read from doctor's own words, in the message or the fixHint: "run openclaw doctor --fix".
 */
const ASKS_FOR_FIX = /\bopenclaw doctor --(fix|repair)\b/i;
/** The release refuses a newer schema (2026.8.2 on a 2026.9.6 state: doctor.state-too-new.json); by message, the finding has no code for it. */
const STATE_TOO_NEW = /SqliteSchemaVersionError|uses newer schema version \d+; this build supports \d+/;

/**
 * `openclaw doctor --json --non-interactive`, classified: errors, required migrations (findings that
 * ask for `openclaw doctor --fix`), warnings (info findings are dropped).
 *
 * Right after a new release is installed under a running gateway, `doctor --json` may print a
 * human "Doctor warnings" box (e.g. "uses schema version 21; stop active agents and run openclaw doctor
 * --fix") on stdout BEFORE its JSON line (test/fixtures/openclaw/doctor.migration-notice.txt). The JSON
 * is then the last line; the box's text is kept, as a migration when it asks for `doctor --fix`, else as
 * a warning.
 */
export function parseDoctor(out: Captured): DoctorReport {
  const lines = out.stdout.trimEnd().split('\n');
  const lastJson = lines.length > 1 && lines.at(-1)!.trimStart().startsWith('{') ? lines.length - 1 : -1;
  const notice = lastJson > 0 ? lines.slice(0, lastJson).join('\n') : '';
  const jsonOut = lastJson > 0 ? { ...out, stdout: lines[lastJson]! } : out;
  const d = parseJson('openclaw doctor --json', jsonOut, DoctorJson, 'a JSON object with ok and findings');
  const text = (f: z.infer<typeof DoctorFinding>) => `${f.checkId ?? 'doctor'}: ${f.message}`;
  const isError = (f: z.infer<typeof DoctorFinding>) => /^(error|critical|fatal)$/i.test(f.severity);
  const isWarning = (f: z.infer<typeof DoctorFinding>) => /^warn(ing)?$/i.test(f.severity);
  const asksForFix = (f: z.infer<typeof DoctorFinding>) =>
    (isError(f) || isWarning(f)) && (ASKS_FOR_FIX.test(f.message) || ASKS_FOR_FIX.test(f.fixHint ?? ''));
  const noticeText = notice
    .replace(/[│◇├╮╯─┌└]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const noticeIsMigration = noticeText !== '' && ASKS_FOR_FIX.test(noticeText);
  const migrations = [
    ...(noticeIsMigration ? [quote(noticeText, 600)] : []),
    ...d.findings.filter(asksForFix).map(text),
  ];
  const blockingMigrations = d.findings.filter((f) => asksForFix(f) && isError(f)).map(text);
  const errors = d.findings.filter((f) => isError(f) && !asksForFix(f)).map(text);
  return {
    passed: errors.length === 0 && blockingMigrations.length === 0,
    errors,
    migrations,
    blockingMigrations,
    warnings: [
      ...(noticeText && !noticeIsMigration ? [quote(noticeText, 600)] : []),
      ...d.findings.filter((f) => isWarning(f) && !asksForFix(f)).map(text),
    ],
    migrationPending: /state database schema migration pending/i.test(out.stderr),
    stateTooNew: d.findings.some((f) => isError(f) && STATE_TOO_NEW.test(f.message)),
  };
}
