/**
 * What an update does while the instance still serves, so that less remains between the drain and the
 * rejoin: stage the release (`staged`: into its own directory, the running gateway untouched) or warm
 * npm's cache (`global`), and the read-only doctor of the running release that the documented update
 * runs first. A failure here leaves the instance in traffic and unchanged; the operator decides.
 */
import type { InstanceRun } from './run.js';
import { runDoctor } from './steps.js';

export async function prepareWhileServing(r: InstanceRun, documented: boolean): Promise<void> {
  const { install } = r.instance;
  if (install.type !== 'staged' && install.type !== 'global' && !documented) return;
  await r.setPhase('Staging');
  if (install.type === 'staged' || install.type === 'global') {
    const label =
      install.type === 'staged'
        ? `stage ${r.targetVersion} in ${install.root}/versions (in traffic)`
        : `warm npm's cache with ${r.targetVersion} (in traffic)`;
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
  if (documented) await runDoctor(r, ' (running release, before the drain)');
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
