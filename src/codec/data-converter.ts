/**
 * The one place that decides how payloads travel: with keys configured (see keys.ts), every payload and
 * failure message is encrypted (AES-GCM codec + failure converter that encodes messages); without, the
 * SDK defaults apply and callers print `warning` once at start. Used by the starter's client, the worker
 * and the e2e bed's worker alike, so they always agree.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { KEYS_ENV, KEY_FILE_ENV, loadKeyring } from './keys.js';
import { siblingModulePath } from '../module-path.js';

export const failureConverterPath = siblingModulePath(import.meta.url, './failure-converter');

export const NO_KEY_WARNING = `warning: payload encryption is off (${KEYS_ENV} / ${KEY_FILE_ENV} not set): workflow inputs, results and errors are stored in Temporal as plain text`;

export interface PayloadProtection {
  /** Undefined without keys: the SDK's default converter. */
  dataConverter?: DataConverter;
  /** Ids of the configured keys, current first (never the keys). */
  keyIds: string[];
  /** One line to print at start when payloads are not encrypted. */
  warning?: string;
}

export async function loadPayloadProtection(env: NodeJS.ProcessEnv = process.env): Promise<PayloadProtection> {
  const keys = await loadKeyring(env);
  if (!keys) return { keyIds: [], warning: NO_KEY_WARNING };
  return {
    dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath },
    keyIds: [...keys.byId.keys()],
  };
}
