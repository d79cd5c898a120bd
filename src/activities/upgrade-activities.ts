/**
 * The Temporal activities of upgrades that may skip releases (openclaw/upgrade/): the new release's
 * `openclaw doctor --fix --non-interactive` on the stopped gateway, and what a jump between two
 * releases crosses (schema versions from the registry, for `plan`) and which checks fall back on the
 * running release (its own --help). Thin wrappers like
 * backup-activities.ts. The fix runs three doctor calls (read-only, fix, read-only) with the install
 * step's timeout each (policy.stepTimeouts.update): a migration of a large state can take a while.
 */
import { asActivity, context, keepAlive } from './activity-wrap.js';
import type { InstanceTarget } from './index.js';
import { fallbackLines, releaseFallbacks, summaryWithFallbacks } from './openclaw/release-fallbacks.js';
import * as up from './openclaw/upgrade/index.js';

export type { DoctorFixResult, ReleaseInfo, ReleaseJump, SchemaChange } from './openclaw/upgrade/index.js';

export const upgradeActivities = {
  /**
   * The installed release's `openclaw doctor --fix --non-interactive`, with the gateway stopped (refuses,
   * changing nothing, while it answers /readyz), between two read-only `doctor --json` runs. Errors that
   * remain afterwards fail it (CheckFailedError, doctor's words); a release that refuses the state
   * fails it with what to do (`decide rollback` restores the backup).
   */
  async runDoctorFix(t: InstanceTarget): Promise<up.DoctorFixResult> {
    return keepAlive(() => asActivity(() => up.runDoctorFix(t.instance, context(t.policy.stepTimeouts.update))));
  },
  /** `npm view openclaw@<version> openclaw.schemaVersions --json` through the instance's npm (null: the release declares none). */
  async releaseSchemaVersions(t: InstanceTarget, version: string): Promise<up.ReleaseInfo> {
    return asActivity(() => up.registryRelease(t.instance, version, context(t.policy.stepTimeouts.cli)));
  },
  /** What going from `fromVersion` to `toVersion` crosses: releases in between, schema changes, whether a rollback needs the backup. */
  async planReleaseJump(t: InstanceTarget, fromVersion: string, toVersion: string): Promise<up.ReleaseJump> {
    return asActivity(async () => {
      const ctx = context(t.policy.stepTimeouts.cli);
      const [jump, fallbacks] = await Promise.all([
        up.planReleaseJump(t.instance, fromVersion, toVersion, ctx),
        // The running release's own --help: which checks run differently on it (plan lists them).
        releaseFallbacks(t.instance.gateway, ctx).then(fallbackLines, (e: Error) => [
          `cannot tell which checks fall back on ${fromVersion}: ${e.message}`,
        ]),
      ]);
      return { ...jump, summary: summaryWithFallbacks(jump.summary, fallbacks) };
    });
  },
};
