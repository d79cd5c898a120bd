/**
 * The patch registry: every `patched()` id the workflows ask, when it came, what it changed and when
 * it may go (docs/versioning.md has the procedure). Workflow code asks `isPatched('<id>')`, typed to
 * these ids, so a misspelt id does not compile. test/unit/patches.test.ts checks that every id here is
 * asked, every id asked is here, and each is in a replay fixture (test/fixtures/histories).
 *
 * Ids never change (recorded histories hold them as markers); new ones end in `-v1`. Where one
 * workflow asks several, the order it asks them in is part of its recorded command sequence: keep it.
 * `since` is the date and commit that added the patch (`git log -S"'<id>'" -- src`). No release of this
 * tool has been made yet (package.json 0.1.0, no tag), so every patch only guards histories recorded
 * by pre-release builds: `retire` says what must be true before the SDK's deprecatePatch step.
 */
import { patched } from '@temporalio/workflow';

export interface PatchEntry {
  /** Date and commit that added it. */
  since: string;
  /** The workflow files that ask it. */
  askedIn: readonly string[];
  /** What the patched (new) path does; older histories replay the path without it. */
  changed: string;
  /** When it may go (see docs/versioning.md, "Retiring a patch"). */
  retire: string;
}

const PRE_RELEASE = 'pre-release histories only: deprecate at the first release, once no run started before it is open';

export const PATCHES = {
  'emergency-repair': {
    since: '2026-11-24 7be4f08',
    askedIn: ['src/workflows/instance/rejoin.ts'],
    changed: 'rotated devices still failing after rejoin get an emergencyRepair child (ABANDON)',
    retire: PRE_RELEASE,
  },
  'failure-decisions-v1': {
    since: '2026-11-24 aa8093e',
    askedIn: ['src/workflows/cluster-rollout.ts', 'src/workflows/instance/run.ts'],
    changed: 'a failed step waits for retry / rollback / skip / abort; failure budget, pause, safe cancellation',
    retire: PRE_RELEASE,
  },
  'search-attributes-v1': {
    since: '2026-11-24 878ba88',
    askedIn: ['src/workflows/rollout/run.ts', 'src/workflows/instance/run.ts'],
    changed: 'rollout and instances upsert OpenclawCluster / OpenclawPhase / OpenclawInstance',
    retire: PRE_RELEASE,
  },
  'rollback-after-rejoin-drains': {
    since: '2026-11-24 38c70f8',
    askedIn: ['src/workflows/instance/rollback.ts'],
    changed: 'a rollback after the rejoin drains the instance before it restarts anything',
    retire: PRE_RELEASE,
  },
  'already-on-target-and-backup-v1': {
    since: '2026-11-30 762f94a',
    askedIn: ['src/workflows/instance/forward.ts'],
    changed: 'version read before the drain (already on target: left alone), verified backup before the update',
    retire: PRE_RELEASE,
  },
  'repair-approval-gate-v1': {
    since: '2026-11-30 762f94a',
    askedIn: ['src/workflows/repair/run.ts'],
    changed: 'emergency repairs go through the approval gate (approvers, four-eyes)',
    retire: PRE_RELEASE,
  },
  'continue-as-new-v1': {
    since: '2026-11-30 a91c63e',
    askedIn: ['src/workflows/rollout/handover.ts'],
    changed: 'the rollout continues as new between batches with a compact state',
    retire: PRE_RELEASE,
  },
  'documented-update-sequence-v1': {
    since: '2026-11-30 86c05fa',
    askedIn: ['src/workflows/instance/forward.ts'],
    changed: "npm installs that can be stopped: OpenClaw's documented update (doctor, stop, install, fix, start)",
    retire: PRE_RELEASE,
  },
  'unchanged-back-in-traffic-v1': {
    since: '2026-11-30 86c05fa',
    askedIn: ['src/workflows/instance/way-back.ts'],
    changed: 'after skip / abort / cancel an instance whose failed update changed nothing (checked) rejoins',
    retire: PRE_RELEASE,
  },
  'notifications-v1': {
    since: '2026-11-30 5add3f0',
    askedIn: ['src/workflows/lib/notify.ts'],
    changed: 'notifications to the inventory targets (only with `notifications`)',
    retire: PRE_RELEASE,
  },
  'stage-before-drain-v1': {
    since: '2026-11-30 56af0f6',
    askedIn: ['src/workflows/instance/forward.ts'],
    changed: 'stage the release (or warm the npm cache) and run the first doctor while still serving',
    retire: PRE_RELEASE,
  },
  'parallel-checks-v1': {
    since: '2026-11-30 56af0f6',
    askedIn: ['src/workflows/instance/steps.ts'],
    changed: 'after the start, gateway status and the channels probe run side by side (recorded in turn)',
    retire: PRE_RELEASE,
  },
  'plan-release-jump-v1': {
    since: '2026-11-30 59a7c33',
    askedIn: ['src/workflows/preflight/instance.ts'],
    changed: "plan's preflight says which releases the update crosses and which schemas migrate",
    retire: `${PRE_RELEASE} (only plan asks it: its preflights are short and read-only)`,
  },
  'preflight-checks-v1': {
    since: '2026-11-30 9a67010',
    askedIn: ['src/workflows/preflight.ts'],
    changed: 'the checks before anything changes (target, node engine, routing, host workers, commands, disk)',
    retire: PRE_RELEASE,
  },
  'preflight-chunks-v1': {
    since: '2026-11-30 41d1e05',
    askedIn: ['src/workflows/cluster-rollout.ts', 'src/workflows/rollout/final-check.ts'],
    changed: 'preflight and final check run in chunks of 50 instances, one child each',
    retire: PRE_RELEASE,
  },
  'rotate-after-restore-only-if-rotated-v1': {
    since: '2026-11-30 9d42f89',
    askedIn: ['src/workflows/instance/rollback.ts'],
    changed: 'a rollback from the backup rotates again only if the roll-forward had rotated since the backup',
    retire: PRE_RELEASE,
  },
  'slim-progress-v1': {
    since: '2026-11-30 c24be32',
    askedIn: ['src/workflows/instance/run.ts', 'src/workflows/rollout/handover.ts'],
    changed: 'an instance sends its rollout small phase deltas; the handover state is grouped',
    retire: PRE_RELEASE,
  },
  'source-update-stopped-v1': {
    since: '2026-11-30 95f7bb6',
    askedIn: ['src/workflows/instance/forward.ts'],
    changed: 'source installs that can be stopped: doctor, stop, openclaw update --no-restart, start',
    retire: PRE_RELEASE,
  },
  'handover-by-estimate-v1': {
    since: '2026-12-01 f8ad9b9',
    askedIn: ['src/workflows/rollout/handover.ts'],
    changed: "hand over when the next batch's estimate would pass 5,000 events or 4 MB (was: past 8,000 events)",
    retire: PRE_RELEASE,
  },
  'compact-report-v1': {
    since: '2026-12-01 f8ad9b9',
    askedIn: ['src/workflows/rollout/run.ts'],
    changed: 'a fleet of more than 50 instances ends with a compact report (the exceptions listed)',
    retire: PRE_RELEASE,
  },
  'reject-decides-v1': {
    since: '2026-12-07 92f3f51',
    askedIn: ['src/workflows/instance/rejoin.ts'],
    changed: 'a rejection is a decision point (rollback, retry, skip, abort) instead of the end',
    retire: PRE_RELEASE,
  },
  'start-left-stopped-v1': {
    since: '2026-12-07 328c2e1',
    askedIn: ['src/workflows/instance/way-back.ts'],
    changed: 'abort and cancel start again a changed instance the update had stopped (out of traffic)',
    retire: PRE_RELEASE,
  },
  'stray-requests-v1': {
    since: '2026-12-07 bc973b7',
    askedIn: ['src/workflows/rollout/final-check.ts'],
    changed: "the final check rejects pairing requests left on the wrong instance since the rollout's start",
    retire: PRE_RELEASE,
  },
  'client-window-v1': {
    since: '2026-12-07 2b2e63c',
    askedIn: ['src/workflows/instance/forward.ts'],
    changed: 'the client window: canary boot before the drain decides doctor --fix; hooks after the rejoin',
    retire: PRE_RELEASE,
  },
} as const satisfies Record<string, PatchEntry>;

/** Every patch id this code knows. */
export type PatchId = keyof typeof PATCHES;

/** `patched(id)` for a registered id: true on new runs and on histories that took the new path. */
export function isPatched(id: PatchId): boolean {
  return patched(id);
}
