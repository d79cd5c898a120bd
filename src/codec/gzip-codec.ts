/**
 * Compresses large payloads with gzip, before any encryption. A large fleet's inventory travels in the
 * rollout's input, and again in every run's input after continue-as-new: some 400 bytes per instance,
 * about 2 MB at 5,000 instances, which is Temporal's hard payload limit (and far past its 256 KB warning).
 * Inventories repeat themselves (paths, commands, policy), so gzip makes that some 40 times smaller.
 *
 * Payloads up to COMPRESS_ABOVE bytes stay as they are, readable in the Web UI and `temporal workflow
 * show` without a codec. Encoded: metadata { encoding: "binary/gzip" }, data = gzip(serialized Payload).
 * Payloads that are not `binary/gzip` decode unchanged (history written before this codec).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
// Default import: Node's ESM loader cannot see the named exports of this CommonJS package.
import proto from '@temporalio/proto';

export const GZIP_ENCODING = 'binary/gzip';
/**
 * Payloads larger than this (their data, in bytes) are compressed. Below the preflight chunks' input and
 * result (some 25 KB each for 50 instances: 100 of each, 5 MB, in the first run of a 5,000-instance
 * rollout), above a 3-instance rollout's report (13-18 KB), which stays readable in the Web UI.
 */
export const COMPRESS_ABOVE = 20 * 1024;

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const encodingOf = (p: Payload): string => Buffer.from(p.metadata?.encoding ?? []).toString('utf8');

export class GzipPayloadCodec implements PayloadCodec {
  constructor(private readonly above = COMPRESS_ABOVE) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ((p.data?.length ?? 0) > this.above ? compress(p) : p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (encodingOf(p) === GZIP_ENCODING ? decompress(p) : p));
  }
}

function compress(payload: Payload): Payload {
  const data = gzipSync(ProtoPayload.encode(payload).finish());
  return { metadata: { encoding: Buffer.from(GZIP_ENCODING) }, data };
}

function decompress(payload: Payload): Payload {
  return ProtoPayload.decode(gunzipSync(payload.data ?? new Uint8Array()));
}
