/**
 * Several codecs as one, applied the way the SDK applies a data converter's `payloadCodecs`: encode in
 * order, decode in reverse. The codec server serves this chain (compression, then encryption).
 */
import type { Payload, PayloadCodec } from '@temporalio/common';

export class CodecChain implements PayloadCodec {
  constructor(private readonly codecs: PayloadCodec[]) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    let out = payloads;
    for (const codec of this.codecs) out = await codec.encode(out);
    return out;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    let out = payloads;
    for (const codec of [...this.codecs].reverse()) out = await codec.decode(out);
    return out;
  }
}
