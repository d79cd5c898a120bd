/**
 * Loads the payload encryption keys from OPENCLAW_ROLLOUT_CODEC_KEYS (inline) or
 * OPENCLAW_ROLLOUT_CODEC_KEY_FILE (a file), both as `id:base64key` entries. The first key is the current
 * one (new payloads are encrypted with it); every key decrypts payloads that name its id, so a rotation
 * is: put the new key first, keep the old ones until no open workflow needs them.
 *
 * Errors name the variable or file line and the fix, never the key material.
 */
import { readFile } from 'node:fs/promises';
import { PayloadCodecError } from '../shared/errors.js';

export const KEYS_ENV = 'OPENCLAW_ROLLOUT_CODEC_KEYS';
export const KEY_FILE_ENV = 'OPENCLAW_ROLLOUT_CODEC_KEY_FILE';

/** AES-256-GCM: 32-byte keys. */
export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** The configured keys, current first. At least one. */
export interface CodecKeyring {
  current: CodecKey;
  byId: ReadonlyMap<string, Buffer>;
  /** Where the keys came from, for messages (`OPENCLAW_ROLLOUT_CODEC_KEYS` or `OPENCLAW_ROLLOUT_CODEC_KEY_FILE (/path)`). */
  source: string;
}

const HOW_TO_MAKE = 'each entry is id:base64key with a 32-byte key, e.g. `echo "k1:$(openssl rand -base64 32)"`';

/** Parses `id:base64key` entries (one per line or comma-separated; `#` comments and blank lines skipped). */
export function parseKeys(text: string, source: string): CodecKeyring {
  const keys: CodecKey[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, lineIndex) => {
    const entries = line
      .replace(/#.*$/, '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const where = lines.length > 1 ? `${source} line ${lineIndex + 1}` : source;
      const colon = entry.indexOf(':');
      if (colon < 0) throw new PayloadCodecError(`${where}: an entry has no "id:" before its key; ${HOW_TO_MAKE}`);
      const id = entry.slice(0, colon).trim();
      const material = entry.slice(colon + 1).trim();
      if (!KEY_ID.test(id)) {
        // Not echoed: a swapped entry would put the key where the id belongs.
        throw new PayloadCodecError(
          `${where}: the key id (before the first ":") must be 1-64 characters of A-Z a-z 0-9 . _ -; ${HOW_TO_MAKE}`,
        );
      }
      const key = BASE64.test(material) ? Buffer.from(material, 'base64') : undefined;
      if (!key || key.length !== KEY_BYTES) {
        const what = key ? `decodes to ${key.length} bytes, not ${KEY_BYTES}` : 'is not base64';
        throw new PayloadCodecError(`${where}: the key of id "${id}" ${what}; ${HOW_TO_MAKE}`);
      }
      if (keys.some((k) => k.id === id)) {
        throw new PayloadCodecError(
          `${where}: key id "${id}" appears twice; give each key its own id (the first entry is the current key)`,
        );
      }
      keys.push({ id, key });
    }
  });
  const current = keys[0];
  if (!current) throw new PayloadCodecError(`${source} holds no key; ${HOW_TO_MAKE}`);
  return { current, byId: new Map(keys.map((k) => [k.id, k.key])), source };
}

/**
 * The keyring the environment configures, or undefined when neither variable is set (payloads then
 * travel in plain text). Setting both is refused: which one wins would be a guess.
 */
export async function loadKeyring(env: NodeJS.ProcessEnv = process.env): Promise<CodecKeyring | undefined> {
  const inline = env[KEYS_ENV]?.trim();
  const file = env[KEY_FILE_ENV]?.trim();
  if (inline && file) {
    throw new PayloadCodecError(`both ${KEYS_ENV} and ${KEY_FILE_ENV} are set; keep one of them`);
  }
  if (inline) return parseKeys(inline, KEYS_ENV);
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PayloadCodecError(
      `${KEY_FILE_ENV}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path and that this process may read it`,
    );
  }
  return parseKeys(text, `${KEY_FILE_ENV} (${file})`);
}
