// The compression codec as a large fleet needs it: a 5,000-instance inventory (about 2 MB, Temporal's
// hard payload limit) travels compressed far under the 256 KB warning and decodes back to the same
// value, also through the encryption after it; small payloads stay readable; old history decodes as is.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CodecChain } from '../../src/codec/chain.js';
import { COMPRESS_ABOVE, GZIP_ENCODING, GzipPayloadCodec } from '../../src/codec/gzip-codec.js';
import { AesGcmPayloadCodec } from '../../src/codec/aes-gcm-codec.js';
import { parseKeys, KEYS_ENV } from '../../src/codec/keys.js';
import { simulatedFleet } from '../../bench/fleet.js';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const fleet = simulatedFleet({
  instances: 5000,
  batchSize: '5%',
  cluster: 'big',
  address: '127.0.0.1:7233',
  taskQueue: 'q',
});
const input = { inventory: fleet, targetVersion: '2026.9.6', startedBy: 'carol' };

describe('gzip payload codec', () => {
  const codec = new GzipPayloadCodec();

  it("compresses a 5,000-instance rollout's input from about 2 MB to far under 256 KB, and back", async () => {
    const original = payloadOf(input);
    const [encoded] = await codec.encode([original]);
    console.log(`rollout input of 5,000 instances: ${original.data!.length} bytes, ${encoded!.data!.length} gzipped`);
    expect(original.data!.length).toBeGreaterThan(2_000_000);
    expect(text(encoded!.metadata!.encoding)).toBe(GZIP_ENCODING);
    expect(encoded!.data!.length).toBeLessThan(128 * 1024);
    const [decoded] = await codec.decode([encoded!]);
    expect(valueOf(decoded!)).toEqual(input);
  });

  it('leaves payloads up to 20 KB as they are, and decodes payloads it did not compress unchanged', async () => {
    const small = payloadOf({ instance: 'gw-1', approver: 'alice' });
    const edge = payloadOf('x'.repeat(COMPRESS_ABOVE - 2)); // JSON quotes: exactly COMPRESS_ABOVE bytes
    expect(edge.data!.length).toBe(COMPRESS_ABOVE);
    expect(await codec.encode([small, edge])).toEqual([small, edge]);
    expect(await codec.decode([small])).toEqual([small]);
  });

  it('compresses before the encryption (encrypted bytes do not compress), and decodes through both', async () => {
    const keys = parseKeys(`k1:${randomBytes(32).toString('base64')}`, KEYS_ENV);
    const chain = new CodecChain([codec, new AesGcmPayloadCodec(keys)]);
    const [encoded] = await chain.encode([payloadOf(input)]);
    expect(text(encoded!.metadata!.encoding)).toBe('binary/encrypted');
    expect(encoded!.data!.length).toBeLessThan(128 * 1024);
    const [decoded] = await chain.decode([encoded!]);
    expect(valueOf(decoded!)).toEqual(input);
  });
});
