/**
 * The bed's codec server: when payload encryption keys are configured (OPENCLAW_ROLLOUT_CODEC_KEYS or
 * _KEY_FILE), the bed runs the codec server (`src/starter.ts codec-server`) under supervisor and starts
 * the dev server's Web UI with `--ui-codec-endpoint` pointing at it, so the UI shows decrypted payloads.
 * Without keys: nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KEY_FILE_ENV, KEYS_ENV } from '../../src/codec/keys.js';
import { freePort } from './ports.js';
import type { Program } from './supervisor.js';
import { projectRoot } from './tools.js';

export interface BedCodecServer {
  program: Program;
  port: number;
  endpoint: string;
  /** The key file the bed's codec server reads (export it as OPENCLAW_ROLLOUT_CODEC_KEY_FILE to talk to the bed). */
  keyFile: string;
}

export async function bedCodecServer(opts: {
  dir: string;
  uiUrl: string;
  node: string;
  path: string;
}): Promise<BedCodecServer | undefined> {
  const inline = process.env[KEYS_ENV];
  const file = process.env[KEY_FILE_ENV];
  if (!inline && !file) return undefined;
  // A copy in the bed dir (0600), so the keys never appear in supervisord.conf or a command line.
  const keyFile = join(opts.dir, 'codec-keys');
  await writeFile(keyFile, inline ? inline.split(',').join('\n') + '\n' : await readFile(file!), { mode: 0o600 });
  const port = await freePort();
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    keyFile,
    program: {
      name: 'codec-server',
      command: [
        opts.node,
        '--import',
        'tsx',
        join(projectRoot, 'src/starter.ts'),
        'codec-server',
        '--port',
        String(port),
        '--ui-origin',
        opts.uiUrl,
      ],
      directory: projectRoot,
      // supervisord passes its own environment on: blank the inline variable, or both would be set.
      environment: { PATH: opts.path, [KEYS_ENV]: '', [KEY_FILE_ENV]: keyFile },
      logFile: join(opts.dir, 'codec-server.log'),
      startSecs: 2,
    },
  };
}
