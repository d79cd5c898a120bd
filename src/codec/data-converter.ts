/**
 * The one place that decides how payloads travel: payloads over 20 KB are compressed (gzip-codec.ts: a
 * large fleet's inventory would not fit Temporal's payload limit otherwise); with keys configured (see
 * keys.ts), every payload and failure message is then encrypted (AES-GCM codec + failure converter that
 * encodes messages); without, callers print `warning` once at start. Used by the starter's client, the
 * worker, the replay and the e2e bed's worker alike, so they always agree.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { GzipPayloadCodec } from './gzip-codec.js';
import { KEYS_ENV, KEY_FILE_ENV, loadKeyring } from './keys.js';
import { siblingModulePath } from '../module-path.js';

export const failureConverterPath = siblingModulePath(import.meta.url, './failure-converter');

export const NO_KEY_WARNING = `warning: payload encryption is off (${KEYS_ENV} / ${KEY_FILE_ENV} not set): workflow inputs, results and errors are stored in Temporal as plain text`;

export interface PayloadProtection {
  /** Compression, then (with keys) encryption. */
  dataConverter: DataConverter;
  /** Ids of the configured keys, current first (never the keys). */
  keyIds: string[];
  /** One line to print at start when payloads are not encrypted. */
  warning?: string;
}

export async function loadPayloadProtection(env: NodeJS.ProcessEnv = process.env): Promise<PayloadProtection> {
  const keys = await loadKeyring(env);
  // Compression first: encrypted bytes do not compress.
  if (!keys) return { dataConverter: { payloadCodecs: [new GzipPayloadCodec()] }, keyIds: [], warning: NO_KEY_WARNING };
  return {
    dataConverter: { payloadCodecs: [new GzipPayloadCodec(), new AesGcmPayloadCodec(keys)], failureConverterPath },
    keyIds: [...keys.byId.keys()],
  };
}
