/**
 * The codec server: lets the Temporal Web UI (and `temporal --codec-endpoint`) show decrypted payloads
 * to whoever runs it, following Temporal's remote codec protocol: POST /encode and POST /decode take and
 * return `{ "payloads": [ { "metadata": { k: base64 }, "data": base64 } ] }`.
 *
 * Access: it listens on loopback by default and answers cross-origin requests only from the UI origin
 * (`--ui-origin`); with OPENCLAW_ROLLOUT_CODEC_SERVER_TOKEN set it also requires
 * `Authorization: Bearer <token>` (the CLI's `--codec-auth`). Anyone who can reach it can decrypt: run it
 * next to the person using the UI, not as a shared service, unless the token is set.
 * Its command line (`openclaw-rollout codec-server`) is src/cli/commands/codec-server.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ConfigurationError, RolloutError } from '../shared/errors.js';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { CodecChain } from './chain.js';
import { GzipPayloadCodec } from './gzip-codec.js';
import { KEYS_ENV, KEY_FILE_ENV, loadKeyring } from './keys.js';

export const TOKEN_ENV = 'OPENCLAW_ROLLOUT_CODEC_SERVER_TOKEN';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body's payloads. A missing `payloads` means none: Temporal's own codec client (the `temporal` CLI,
 * protojson) sends `{}` for an empty list, e.g. a query without arguments.
 */
function payloadsOf(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadRequest(400, 'body must be a JSON object: {"payloads": [...]} (or {} for none)');
  const unknown = Object.keys(body).filter((k) => k !== 'payloads');
  if (unknown.length > 0)
    throw new BadRequest(400, `unknown field "${unknown[0]}": body must be {"payloads": [...]} (or {} for none)`);
  const { payloads } = body as { payloads?: unknown };
  if (payloads === undefined) return [];
  if (!Array.isArray(payloads))
    throw new BadRequest(400, `"payloads" must be an array (got ${payloads === null ? 'null' : typeof payloads})`);
  return payloads;
}

function fromJson(body: unknown): Payload[] {
  return payloadsOf(body).map((p, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      throw new BadRequest(400, `payloads[${i}] must be an object`);
    const { metadata: meta, data } = p as JsonPayload;
    const metadata: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(meta ?? {})) {
      if (typeof v !== 'string') throw new BadRequest(400, `payloads[${i}].metadata.${k} must be a base64 string`);
      metadata[k] = Buffer.from(v, 'base64');
    }
    if (data !== undefined && typeof data !== 'string')
      throw new BadRequest(400, `payloads[${i}].data must be a base64 string`);
    return { metadata, data: Buffer.from(data ?? '', 'base64') };
  });
}

function toJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest(400, 'body is not JSON');
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The Web UI's origin, e.g. http://localhost:8233; the only origin browsers may call from. */
  uiOrigin: string;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
}

export function createCodecServer({ codec, uiOrigin, token }: CodecServerOptions): Server {
  return createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const status = err instanceof BadRequest ? err.status : 500;
      // Codec errors name key ids and the fix, never payload contents or keys.
      const message = err instanceof BadRequest || err instanceof RolloutError ? err.message : 'internal error';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(message);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === uiOrigin) {
      res.setHeader('Access-Control-Allow-Origin', uiOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    }
    const path = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.writeHead(req.headers.origin === uiOrigin ? 204 : 403).end();
      return;
    }
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode')) {
      throw new BadRequest(404, 'POST /encode or POST /decode');
    }
    if (token && !tokenMatches(req.headers.authorization, token))
      throw new BadRequest(401, `Authorization: Bearer <${TOKEN_ENV}> required`);
    const payloads = fromJson(await readBody(req));
    const result = path === '/encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(toJson(result)));
  }
}

export interface CodecServeOptions {
  port: number;
  host: string;
  uiOrigin: string;
}

/**
 * Serves the codec with the configured keys until SIGINT or SIGTERM closes it. `openclaw-rollout
 * codec-server` (src/cli/commands/codec-server.ts) parses its command line and calls this.
 */
export async function serveCodec({ port, host, uiOrigin }: CodecServeOptions): Promise<void> {
  const keys = await loadKeyring();
  if (!keys)
    throw new ConfigurationError(
      `no keys: set ${KEYS_ENV} or ${KEY_FILE_ENV} to the keys the workers use (see codec-server --help)`,
    );
  const token = process.env[TOKEN_ENV] || undefined;
  // The workers' chain: large payloads compressed, then every payload encrypted.
  const codec = new CodecChain([new GzipPayloadCodec(), new AesGcmPayloadCodec(keys)]);
  const server = createCodecServer({ codec, uiOrigin, token });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as { port: number };
      console.log(
        `codec server on http://${host}:${bound} (keys ${[...keys.byId.keys()].join(', ')}; browsers allowed from ${uiOrigin}${token ? '; bearer token required' : ''})`,
      );
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
