// The codec server as the Web UI uses it: a browser on the UI's origin posts payloads to /decode and
// gets them back decrypted; other origins get no CORS grant; with a token, requests without it fail.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../src/codec/aes-gcm-codec.js';
import { parseKeys } from '../../src/codec/keys.js';
import { createCodecServer } from '../../src/codec/server.js';

const UI = 'http://127.0.0.1:8233';
const codec = new AesGcmPayloadCodec(parseKeys(`k1:${randomBytes(32).toString('base64')}`, 'test keys'));
const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('base64');

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('codec server', () => {
  let open: Server;
  let guarded: Server;
  let url: string;
  let guardedUrl: string;
  beforeAll(async () => {
    open = createCodecServer({ codec, uiOrigin: UI });
    guarded = createCodecServer({ codec, uiOrigin: UI, token: 's3cret-token' });
    url = await listen(open);
    guardedUrl = await listen(guarded);
  });
  afterAll(async () => {
    await Promise.all([open, guarded].map((s) => new Promise((r) => s.close(r))));
  });

  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: UI, 'X-Namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });

  it('/decode returns the plaintext payload of what the worker encrypted, /encode the reverse', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ approver: 'alice' })]);
    const res = await post(url, '/decode', {
      payloads: [
        {
          metadata: {
            encoding: b64(enc!.metadata!.encoding),
            'encryption-key-id': b64(enc!.metadata!['encryption-key-id']),
          },
          data: b64(enc!.data),
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toEqual({ approver: 'alice' });

    const encoded = (await (await post(url, '/encode', { payloads })).json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').includes('alice')).toBe(false);
  });

  it('answers the browser preflight for the UI origin only', async () => {
    const ok = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const other = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('takes {} as no payloads, as the temporal CLI sends for a query without arguments', async () => {
    for (const path of ['/decode', '/encode']) {
      const res = await post(url, path, {});
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ payloads: [] });
    }
    expect(await (await post(url, '/decode', { payloads: [] })).json()).toEqual({ payloads: [] });
  });

  it('refuses bad bodies and paths with a clear status, and undecryptable payloads without leaking', async () => {
    const refusal = async (body: unknown) => {
      const res = await post(url, '/decode', body);
      return `${res.status} ${await res.text()}`;
    };
    expect(await refusal({ nope: 1 })).toBe(
      '400 unknown field "nope": body must be {"payloads": [...]} (or {} for none)',
    );
    expect(await refusal({ payloads: 'x' })).toBe('400 "payloads" must be an array (got string)');
    expect(await refusal({ payloads: null })).toBe('400 "payloads" must be an array (got null)');
    expect(await refusal([])).toMatch(/^400 body must be a JSON object/);
    expect(await refusal(null)).toMatch(/^400 body must be a JSON object/);
    expect(await refusal({ payloads: [7] })).toBe('400 payloads[0] must be an object');
    expect(await refusal({ payloads: [{ data: 5 }] })).toBe('400 payloads[0].data must be a base64 string');
    const notJson = await fetch(`${url}/decode`, { method: 'POST', body: 'payloads please' });
    expect(`${notJson.status} ${await notJson.text()}`).toBe('400 body is not JSON');
    expect((await post(url, '/other', { payloads: [] })).status).toBe(404);
    const forged = {
      payloads: [
        {
          metadata: { encoding: b64(Buffer.from('binary/encrypted')), 'encryption-key-id': b64(Buffer.from('k9')) },
          data: b64(randomBytes(40)),
        },
      ],
    };
    const res = await post(url, '/decode', forged);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/key id "k9", which is not configured/);
  });

  it('with a token, requires it', async () => {
    expect((await post(guardedUrl, '/decode', { payloads: [] })).status).toBe(401);
    expect((await post(guardedUrl, '/decode', { payloads: [] }, { Authorization: 'Bearer wrong-token!' })).status).toBe(
      401,
    );
    expect((await post(guardedUrl, '/decode', { payloads: [] }, { Authorization: 'Bearer s3cret-token' })).status).toBe(
      200,
    );
  });
});
