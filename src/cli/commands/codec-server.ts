/** `codec-server`: decrypts payloads for the Temporal Web UI and CLI, until stopped (src/codec/server.ts). */
import { KEYS_ENV, KEY_FILE_ENV } from '../../codec/keys.js';
import { TOKEN_ENV, serveCodec } from '../../codec/server.js';
import { UsageError, parseOwnArgs, type ProcessCommand } from '../command.js';

const HELP = `openclaw-rollout codec-server: decrypts payloads for the Temporal Web UI and CLI.

Usage: openclaw-rollout codec-server [--port 8081] [--host 127.0.0.1] [--ui-origin http://localhost:8233]
       (in a checkout: npm run codec-server -- [options])

Needs the same keys as worker and starter: ${KEYS_ENV} or ${KEY_FILE_ENV}.
Optional ${TOKEN_ENV}: require "Authorization: Bearer <token>" (temporal --codec-auth).
Point the UI at it: temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8081
(or TEMPORAL_CODEC_ENDPOINT for the standalone UI, or "Codec Server" in the UI's settings).`;

export const codecServer: ProcessCommand = {
  name: 'codec-server',
  help: `  codec-server  decrypts payloads for the Temporal Web UI and CLI (remote codec endpoint), until
              stopped; the same keys as the workers (see codec-server --help)`,
  async runArgs(argv, out) {
    const values = parseOwnArgs('codec-server', argv, {
      port: { type: 'string', default: '8081' },
      host: { type: 'string', default: '127.0.0.1' },
      'ui-origin': { type: 'string', default: 'http://localhost:8233' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      out(HELP);
      return 0;
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw new UsageError(`codec-server: --port must be a port number (0-65535), not "${values.port}"`);
    await serveCodec({ port, host: values.host, uiOrigin: values['ui-origin'] });
    return 0;
  },
};
