/**
 * What an update does while the instance still serves, so that less remains between the drain and the
 * rejoin: stage the release (`staged`: into its own directory, the running gateway untouched) or warm
 * npm's cache (`global`), the read-only doctor of the running release that the documented update runs
 * first, and (the client window, patched) the canary boot that decides whether the window needs
 * `doctor --fix`. A failure here leaves the instance in traffic and unchanged; the operator decides.
 */
import type { InstanceRun } from './run.js';
import { runDoctor } from './steps.js';

export async function prepareWhileServing(
  r: InstanceRun,
  documented: boolean,
  lean = false,
): Promise<WindowPlan | undefined> {
  const { install } = r.instance;
  if (install.type !== 'staged' && install.type !== 'global' && !documented) return undefined;
  await r.setPhase('Staging');
  if (install.type === 'staged' || install.type === 'global') {
    const label =
      install.type === 'staged'
        ? `stage ${r.targetVersion} in ${install.root}/versions (${r.beforeDrain})`
        : `warm npm's cache with ${r.targetVersion} (${r.beforeDrain})`;
    await r.step(
      'stage',
      label,
      () => r.install.prepareRelease(r.target, r.targetVersion),
      (x) => `${x.detail} (${Math.round(x.durationMs / 1000)} s)`,
    );
  }
  // Read-only, with the release that runs: refuses early and costs no time out of traffic here. After
  // the staging, not beside it: both are CPU-bound, and doctor beside npm ran past its CLI timeout on a
  // busy 2-core host.
  if (documented && r.state.stopped)
    r.recorder.note(
      'doctor',
      'doctor (running release, before the update)',
      'skipped',
      'the gateway is stopped, as the last rollout left it: no release runs to check; the canary and the update decide',
    );
  else if (documented)
    await runDoctor(
      r,
      r.input.firstLeft ? ' (running release, before the update)' : ' (running release, before the drain)',
    );
  return lean ? { fixInWindow: await canaryDecidesFix(r) } : undefined;
}

/** What the preparation found out for the window: whether the new release needs `doctor --fix` before it starts. */
export interface WindowPlan {
  fixInWindow: boolean;
}

/**
 * The canary boot (staged installs: the new release is there before the drain) on a copy of the state:
 * a release that starts on it by itself migrates the state when it starts, so the window runs no
 * `doctor --fix`; one that needed the fix on the copy gets it in the window (a jump over releases).
 * Without a canary (a global install gets its release only in the window) the fix stays in the window.
 */
async function canaryDecidesFix(r: InstanceRun): Promise<boolean> {
  const { install } = r.instance;
  if (install.type !== 'staged') {
    r.recorder.note(
      'canary',
      `canary boot (${r.beforeDrain})`,
      'skipped',
      `a ${install.type} install gets ${r.targetVersion} only in the window: doctor --fix runs there`,
    );
    return true;
  }
  const canary = await r.step(
    'canary',
    `canary boot of ${r.targetVersion} on a copy of the state (${r.beforeDrain})`,
    () => r.install.canaryBoot(r.target, r.targetVersion),
    (c) =>
      'skipped' in c
        ? `skipped: ${c.skipped}; doctor --fix runs in the window`
        : `${c.bootsByItself ? 'ready by itself' : 'ready after doctor --fix on the copy (the window runs it)'} in ${Math.round(c.readyMs / 1000)} s` +
          `${c.migrated.length ? `; migrated: ${c.migrated.join('; ')}` : '; nothing to migrate'}`,
  );
  return 'skipped' in canary || !canary.bootsByItself;
}

/**
 * A promise started ahead of its step (checks that run side by side): the step's first run takes it,
 * a retry calls `again`. The early promise's rejection is handled here so that it is not "unhandled"
 * (which fails the workflow task) while an earlier step is still awaited.
 */
export function startedAhead<T>(early: Promise<T>, again: () => Promise<T>): () => Promise<T> {
  early.catch(() => undefined);
  let first: Promise<T> | undefined = early;
  return () => {
    const p = first ?? again();
    first = undefined;
    return p;
  };
}
