/**
 * Saves the event histories of finished workflows (JSON, as `temporal workflow show --output json`
 * would) so they can become replay fixtures: test/fixtures/histories/ is replayed against the current
 * workflow code by test/unit/replay.test.ts, which keeps old histories replaying after code changes.
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from './tools.js';

export const historiesDir = join(projectRoot, 'test-artifacts', 'histories');

/** Writes each workflow's history to test-artifacts/histories/<label>--<id with / as _>.json. */
export async function saveHistories(client: Client, label: string, workflowIds: string[]): Promise<string[]> {
  await mkdir(historiesDir, { recursive: true });
  const written: string[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const file = join(historiesDir, `${label}--${id.replaceAll('/', '_')}.json`);
    await writeFile(file, historyToJSON(history));
    written.push(file);
  }
  return written;
}
