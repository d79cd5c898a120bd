/**
 * Resolves inventory secret references on the host that runs the activity. The value is registered
 * with the redactor at once, so it cannot leak through any message, result or log line afterwards.
 */
import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '../../shared/errors.js';
import type { SecretRef } from '../../shared/inventory.js';
import { registerSecret } from './redact.js';

/** Returns the secret named by `ref`. `field` names the inventory field for error messages. */
export async function resolveSecret(ref: SecretRef, field: string): Promise<string> {
  let value: string | undefined;
  if ('env' in ref) {
    value = process.env[ref.env];
    if (!value) {
      throw new ConfigurationError(
        `${field}: environment variable ${ref.env} is not set on this host; export it for the worker (or use { file: ... }).`,
      );
    }
  } else {
    try {
      value = (await readFile(ref.file, 'utf8')).trim();
    } catch (err) {
      throw new ConfigurationError(
        `${field}: cannot read secret file ${ref.file} on this host (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path and that the worker may read it.`,
      );
    }
    if (!value) throw new ConfigurationError(`${field}: secret file ${ref.file} is empty.`);
  }
  registerSecret(value);
  return value;
}
