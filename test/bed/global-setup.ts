/**
 * Vitest globalSetup for the e2e project: one shared bed for every e2e file (starting gateways costs
 * 15-35 s and ~1 GB each). Starts it (or reuses a healthy one when OPENCLAW_ROLLOUT_REUSE_BED=1),
 * bundles the workflows once (OPENCLAW_ROLLOUT_BED_TEMPORAL=production: the production-shaped Temporal), and stops everything at the end (unless OPENCLAW_ROLLOUT_KEEP_BED=1).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPayloadProtection } from '../../src/codec/data-converter.js';
import { workflowsPath } from '../../src/worker.js';
import { quietLogger } from '../helpers/quiet-logger.js';
import { defaultBedDir, productionBedRequested, readBedInfo, startBed, stopBed } from './bed.js';
import { httpOk } from './probes.js';
import { pairBedClients } from './clients.js';

export default async function setup(): Promise<() => Promise<void>> {
  const dir = defaultBedDir();
  process.env.OPENCLAW_ROLLOUT_BED_DIR = dir;
  let reuse = false;
  if (process.env.OPENCLAW_ROLLOUT_REUSE_BED === '1' && existsSync(join(dir, 'bed.json'))) {
    const info = await readBedInfo(dir);
    reuse = (await Promise.all(info.gateways.map((g) => httpOk(`${g.httpUrl}/readyz`)))).every(Boolean);
  }
  if (!reuse) {
    const info = await startBed({ dir, production: productionBedRequested() });
    await pairBedClients(info);
  }
  // With codec keys, workflow failures must encode their messages too (the converter runs in the sandbox).
  const { dataConverter } = await loadPayloadProtection();
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath: dataConverter?.failureConverterPath,
    logger: quietLogger,
  });
  await writeFile(join(dir, 'workflow-bundle.js'), bundle.code);
  return async () => {
    if (process.env.OPENCLAW_ROLLOUT_KEEP_BED !== '1') await stopBed(dir);
  };
}
