/**
 * Replays recorded workflow histories (JSON from `temporal workflow show --output json`) against the
 * current workflow code and prints one JSON line per history: {file, ok, error?}. Exit 1 if any fails.
 *   npm run replay -- [files or folders]   (default: test/fixtures/histories)
 * test/unit/replay.test.ts runs it; it is a separate process because Temporal's history conversion
 * trips over vitest's module loading ("type must be a Type").
 */
import { Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workflowsPath } from '../src/worker.js';
import { GzipPayloadCodec } from '../src/codec/gzip-codec.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const args = process.argv.slice(2);
const inputs = args.length ? args : [fileURLToPath(new URL('../test/fixtures/histories', import.meta.url))];
const files: string[] = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory())
    files.push(
      ...(await readdir(input))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(input, f)),
    );
  else files.push(input);
}
// The workflow id matters (child ids derive from it): it is in the file name, `<label>--<id with / as _>.json`
// (test/bed/histories.ts writes them so).
const workflowIdOf = (file: string) =>
  basename(file, '.json')
    .replace(/^.*?--/, '')
    .replaceAll('_', '/');
const histories = await Promise.all(
  files.map(async (file) => ({
    workflowId: workflowIdOf(file),
    history: JSON.parse(await readFile(file, 'utf8')) as unknown,
  })),
);
let failed = 0;
let index = 0;
// Results come back in input order.
for await (const result of Worker.runReplayHistories(
  // Large payloads are compressed (src/codec/gzip-codec.ts); encrypted fixtures are not kept.
  { workflowsPath, replayName: 'replay', dataConverter: { payloadCodecs: [new GzipPayloadCodec()] } },
  histories,
)) {
  if (result.error) failed++;
  console.log(
    JSON.stringify({
      file: basename(files[index++]!),
      workflowId: result.workflowId,
      ok: !result.error,
      ...(result.error ? { error: result.error.message } : {}),
    }),
  );
}
process.exit(failed ? 1 : 0);
