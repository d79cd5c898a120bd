/**
 * The new release's `openclaw doctor --fix --non-interactive` on the stopped gateway's state, between
 * two read-only `doctor --json` runs that decide: the migrations doctor asks for after an install (the
 * documented manual update: stop, install, doctor --fix, start).
 */
import { CheckFailedError, TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import type { Instance } from '../../../shared/inventory.js';
import { quote } from '../../host/redact.js';
import type { CallContext } from '../../call-context.js';
import { runCli } from '../cli.js';
import * as parse from '../parse/index.js';
import { answersHttp, gatewayHttpUrl, describeStop } from '../service.js';

export interface DoctorFixResult {
  /** Migrations and errors doctor reported before the fix that it no longer reports (doctor's words). */
  fixed: string[];
  /** Errors that remain after the fix (empty, or the step fails). */
  errors: string[];
  /** Warnings doctor still reports after the fix (recorded, not failing). */
  warnings: string[];
  /** What the read-only doctor asked for before the fix (migrations), as it said it. */
  requiredBefore: string[];
  /** Doctor said before the fix that a state database schema migration was pending (stderr; 2026.9.5 → 2026.9.6 says only this). */
  migrationPendingBefore: boolean;
  /** What `doctor --fix` printed as its changes (the "Doctor changes" notes), when it printed any. */
  changes: string[];
  /** The fix command, as an operator would run it by hand. */
  command: string;
  durationMs: number;
}

const ROLLBACK_HINT =
  'The gateway is stopped and the new release is installed. Restore the backup taken before the update ' +
  '(`decide rollback`: reinstalls the release that ran and restores its state), or fix the state by hand and `decide retry`.';

/**
 * The installed release's `openclaw doctor --fix --non-interactive` on the stopped gateway's state: the
 * migrations doctor asks for after an install (the documented manual update: stop, install, doctor --fix,
 * start). `--fix` cannot be combined with `--json` (doctor refuses: "doctor --json runs read-only lint
 * checks and cannot be combined with --repair, --fix, or --force"), so the read-only `doctor --json
 * --non-interactive` runs before and after it and decides: errors that remain fail the step with
 * doctor's own words (CheckFailedError); a doctor that cannot run at all fails with what to do.
 *
 * Refuses (CheckFailedError, nothing run) while the gateway still answers /readyz: the fix takes the
 * state's databases, which a running gateway holds. Safe to run again: a second fix finds nothing to do.
 */
export async function runDoctorFix(instance: Instance, ctx: CallContext): Promise<DoctorFixResult> {
  const access = instance.gateway;
  const started = Date.now();
  const httpUrl = await gatewayHttpUrl(access, ctx);
  if (await answersHttp(httpUrl, ctx.signal)) {
    throw new CheckFailedError(
      `refusing to run \`openclaw doctor --fix\` on instance ${instance.id}: the gateway still answers ${httpUrl}/readyz. ` +
        `Nothing was changed. Stop it first (\`${describeStop(instance)}\`): the fix migrates the databases the gateway holds.`,
    );
  }
  const before = await readOnlyDoctor(instance, ctx, 'before the fix');
  if (before.stateTooNew) {
    throw new CheckFailedError(
      `the installed release refuses the state of instance ${instance.id} (a database schema newer than it supports), so \`openclaw doctor --fix\` cannot migrate it. Doctor said:\n` +
        `${before.errors.map((e) => `  - ${quote(e, 800)}`).join('\n')}\n${ROLLBACK_HINT}`,
    );
  }
  ctx.heartbeat?.({ step: 'doctor-fix', migrations: before.migrations.length });
  const r = await runCli(access, { args: ['doctor', '--fix', '--non-interactive'], ...ctx });
  const fix = parse.parseDoctorFix(r);
  if (r.exitCode !== 0) {
    const said = fix.problems.length
      ? fix.problems.map((p) => `  - ${p}`).join('\n')
      : quote(r.stderr || r.stdout || '(nothing)', 1500);
    const failure = `\`${r.byHand}\` exited with code ${r.exitCode}${r.exitCode === 78 ? ' (78: the release refuses this state or its configuration)' : ''}; expected 0 with the migrations applied. It said:\n${said}\n`;
    // Another process still holds the state (a gateway that is still stopping): worth another try.
    if (fix.problems.some((p) => /StateDatabaseCoordinatorContentionError|another OpenClaw process owns/.test(p))) {
      throw new TransientError(
        `${failure}Something still holds the state: stop the gateway (\`${describeStop(instance)}\`) and any other openclaw process using ${access.stateDir ?? 'its state dir'}.`,
      );
    }
    throw new CheckFailedError(failure + ROLLBACK_HINT);
  }
  const after = await readOnlyDoctor(instance, ctx, 'after the fix');
  const stillThere = new Set([...after.errors, ...after.migrations]);
  const fixed = [...before.migrations, ...before.errors].filter((f) => !stillThere.has(f));
  const errors = [...after.errors, ...after.blockingMigrations];
  if (errors.length > 0) {
    throw new CheckFailedError(
      `after \`${r.byHand}\` doctor still reports ${errors.length} error${errors.length > 1 ? 's' : ''}:\n${errors.map((e) => `  - ${quote(e, 800)}`).join('\n')}\n` +
        (fix.problems.length ? `The fix said:\n${fix.problems.map((p) => `  - ${p}`).join('\n')}\n` : '') +
        ROLLBACK_HINT,
    );
  }
  return {
    fixed,
    errors: [],
    warnings: [...after.warnings, ...after.migrations],
    requiredBefore: before.migrations,
    migrationPendingBefore: before.migrationPending,
    changes:
      fix.changes.length > MAX_CHANGES
        ? [
            ...fix.changes.slice(0, MAX_CHANGES),
            `… and ${fix.changes.length - MAX_CHANGES} more (run it by hand to see them)`,
          ]
        : fix.changes,
    command: r.byHand,
    durationMs: Date.now() - started,
  };
}

const MAX_CHANGES = 40;

/** `doctor --json --non-interactive` for runDoctorFix: a doctor that cannot run says what to do. */
async function readOnlyDoctor(instance: Instance, ctx: CallContext, when: string): Promise<parse.DoctorReport> {
  const r = await runCli(instance.gateway, { args: ['doctor', '--json', '--non-interactive'], ...ctx });
  try {
    return parse.parseDoctor(r);
  } catch (err) {
    if (err instanceof UnexpectedOutputError) {
      throw new CheckFailedError(
        `\`${r.byHand}\` (${when}) could not run: exit code ${r.exitCode}${r.exitCode === 78 ? ' (78: the release refuses this state or its configuration)' : ''}, and no doctor report.\n` +
          `It said:\n${quote(r.stderr || r.stdout || '(nothing)', 1500)}\n${ROLLBACK_HINT}`,
      );
    }
    throw err;
  }
}
