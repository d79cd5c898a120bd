/**
 * The payload codec: AES-256-GCM over the whole serialized Payload (metadata and data), so the Temporal
 * server and anyone reading its history see only `binary/encrypted` and the key id.
 *
 * Encoded payload: metadata { encoding: "binary/encrypted", encryption-key-id: <id> },
 * data = 12-byte IV ‖ ciphertext ‖ 16-byte tag; the key id is the GCM additional data, so a payload
 * relabelled with another id fails authentication instead of decrypting to garbage.
 * Payloads that are not `binary/encrypted` decode unchanged (history written before a key was configured,
 * signals sent from a UI or CLI without the codec).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// Default import: Node's ESM loader cannot see the named exports of this CommonJS package.
import proto from '@temporalio/proto';
import { PayloadCodecError } from '../shared/errors.js';
import type { CodecKeyring } from './keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const utf8 = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? []).toString('utf8');

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id, 'utf8') },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    if (utf8(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const id = utf8(payload.metadata?.[KEY_ID_METADATA]);
    if (!id)
      throw new PayloadCodecError(
        `an encrypted payload has no ${KEY_ID_METADATA} metadata; it was not written by this codec`,
      );
    const key = this.keys.byId.get(id);
    if (!key) {
      throw new PayloadCodecError(
        `a payload is encrypted with key id "${id}", which is not configured (known: ${[...this.keys.byId.keys()].join(', ')}); ` +
          `add that key to ${this.keys.source} after the current one`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadCodecError(`an encrypted payload (key id "${id}") is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return ProtoPayload.decode(plain);
    } catch {
      throw new PayloadCodecError(
        `an encrypted payload (key id "${id}") failed authentication: it was altered, or ${this.keys.source} holds a different key under that id`,
      );
    }
  }
}
