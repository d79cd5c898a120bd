/**
 * The runbook's verification checklist across the cluster after the last batch: each instance as its
 * outcome expects (done: the target, in traffic; rolled back: its old version, in traffic; skipped:
 * left as it is, flagged); the pairing requests clients left on the wrong instance are rejected; then
 * the report.
 */
import { executeChild, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import { describeStrays } from '../../shared/stray-requests.js';
import { rejectStrayRequests } from './stray-requests.js';
import { workflowFailure, WorkflowFailureType } from '../../shared/errors.js';
import { clusterPreflight, type PreflightReport } from '../preflight.js';
import { preflightInChunks } from './preflight-chunks.js';
import type { RolloutRun } from './run.js';
import type { ClusterRolloutReport } from './types.js';

export async function finalCheck(r: RolloutRun, preflight: PreflightReport): Promise<ClusterRolloutReport> {
  const { progress, targetVersion } = r;
  progress.current = [];
  progress.phase = 'Verifying';
  r.showPhase();
  // Pairing requests left on the wrong instance are rejected (patched: older histories did not look for them).
  const pendingSince = isPatched('stray-requests-v1') ? workflowInfo().startTime.getTime() : undefined;
  // In chunks of the fleet (patched: older histories ran one child for the whole fleet).
  const check = isPatched('preflight-chunks-v1')
    ? await preflightInChunks(r, 'final-check', undefined, pendingSince)
    : await executeChild(clusterPreflight, {
        workflowId: `${r.rolloutId}/final-check`,
        args: [{ inventory: r.inventory }],
      });
  const strays = pendingSince !== undefined ? await rejectStrayRequests(r, check) : [];
  const strayLine = describeStrays(strays);
  const extra = { finalCheck: check, ...(strays.length ? { strayRequests: strays } : {}) };
  const expected = (id: string) => {
    const slot = progress.instances.find((i) => i.instance === id);
    if (slot?.phase === 'Skipped') return undefined;
    return slot?.decisions?.some((d) => d.decision === 'rollback') ? slot.versionBefore : targetVersion;
  };
  const judged = check.instances.filter((i) => expected(i.instance) !== undefined);
  const wrong = judged.filter((i) => i.version !== expected(i.instance) || !i.healthy || i.lb?.admin !== 'ready');
  if (judged.some((i) => i.problems.length) || wrong.length) {
    progress.phase = 'Failed';
    r.showPhase();
    const states = wrong
      .map((i) => `${i.instance} ${i.healthy ? 'healthy' : 'unhealthy'} on ${i.version}, lb ${i.lb?.admin ?? '?'}`)
      .join('; ');
    throw workflowFailure(
      WorkflowFailureType.CheckFailed,
      `final cluster check failed: ${states} ${judged.flatMap((i) => i.problems).join('; ')}`,
    );
  }
  progress.phase = 'Done';
  r.showPhase();
  const exceptions = progress.instances.filter(
    (i) => i.needsAttention || i.decisions?.some((d) => d.decision === 'rollback'),
  );
  if (exceptions.length) {
    setCurrentDetails(
      `Done with exceptions: ${exceptions.map((i) => `${i.instance} ${i.phase === 'Skipped' ? 'skipped (drained)' : `rolled back to ${i.versionAfter}`}`).join('; ')}; the others run **${targetVersion}**.${strayLine ? `\n\nPairing: ${strayLine}.` : ''}`,
    );
    return r.report(preflight, 'partial', extra);
  }
  setCurrentDetails(
    `Done: all ${progress.instances.length} instances run **${targetVersion}**, healthy and in traffic.${strayLine ? `\n\nPairing: ${strayLine}.` : ''}`,
  );
  return r.report(preflight, 'done', extra);
}
