/**
 * Saves the event histories of finished workflows (JSON, as `temporal workflow show --output json`
 * would) so they can become replay fixtures: test/fixtures/histories/ is replayed against the current
 * workflow code by test/unit/replay.test.ts, which keeps old histories replaying after code changes.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BedInfo } from './bed.js';
import { projectRoot, temporalBin } from './tools.js';

export const historiesDir = join(projectRoot, 'test-artifacts', 'histories');

/**
 * Writes each workflow's history to test-artifacts/histories/<label>--<id with / as _>.json, exported
 * with `temporal workflow show --output json` (the format operators get, and historyFromJSON reads).
 */
export async function saveHistories(
  info: { temporal: Pick<BedInfo['temporal'], 'address' | 'namespace' | 'tls'> },
  label: string,
  workflowIds: string[],
): Promise<string[]> {
  await mkdir(historiesDir, { recursive: true });
  const written: string[] = [];
  const t = info.temporal.tls;
  for (const id of workflowIds) {
    const { stdout } = await execa(temporalBin(), [
      'workflow',
      'show',
      '--workflow-id',
      id,
      '--address',
      info.temporal.address,
      '--namespace',
      info.temporal.namespace,
      '--output',
      'json',
      ...(t ? ['--tls-ca-path', t.caFile, '--tls-cert-path', t.certFile, '--tls-key-path', t.keyFile] : []),
      ...(t ? ['--tls-server-name', t.serverName] : []),
    ]);
    const file = join(historiesDir, `${label}--${id.replaceAll('/', '_')}.json`);
    await writeFile(file, stdout);
    written.push(file);
  }
  return written;
}
