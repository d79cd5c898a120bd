// The payload codec as an operator relies on it: what goes to Temporal is unreadable and decrypts back
// to the same payload; rotation keeps old payloads readable; a wrong or missing key and tampering are
// refused with a message that names the fix and no key; no key means plain payloads and a warning.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/aes-gcm-codec.js';
import { loadPayloadProtection, NO_KEY_WARNING } from '../../src/codec/data-converter.js';
import { KEY_FILE_ENV, KEYS_ENV, loadKeyring, parseKeys } from '../../src/codec/keys.js';
import { PayloadCodecError } from '../../src/shared/errors.js';

const key = () => randomBytes(32).toString('base64');
const SECRET = 'planted-secret-7f3a9c';
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const codecFor = (keys: string) => new AesGcmPayloadCodec(parseKeys(keys, KEYS_ENV));

describe('AES-GCM payload codec', () => {
  const k1 = key();
  const k2 = key();

  it('encrypts the whole payload (metadata and data) and decrypts it back', async () => {
    const codec = codecFor(`k1:${k1}`);
    const original = payloadOf({ comment: SECRET, n: 3 });
    const [encoded] = await codec.encode([original]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Buffer.from(encoded!.data!).includes(SECRET)).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('json/plain')).toBe(false);
    const [decoded] = await codec.decode([encoded!]);
    expect(valueOf(decoded!)).toEqual({ comment: SECRET, n: 3 });
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV per payload: the same value encrypts differently', async () => {
    const codec = codecFor(`k1:${k1}`);
    const [a, b] = await codec.encode([payloadOf(SECRET), payloadOf(SECRET)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('after rotation encodes with the new key and still decodes payloads of the old one', async () => {
    const before = codecFor(`k1:${k1}`);
    const [old] = await before.encode([payloadOf(SECRET)]);
    const after = codecFor(`k2:${k2}\nk1:${k1}`);
    const [fresh] = await after.encode([payloadOf('new')]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
    const [oldDecoded, freshDecoded] = await after.decode([old!, fresh!]);
    expect(valueOf(oldDecoded!)).toBe(SECRET);
    expect(valueOf(freshDecoded!)).toBe('new');
  });

  it('refuses a payload whose key id is not configured, naming the id and where to add it', async () => {
    const [old] = await codecFor(`k1:${k1}`).encode([payloadOf(SECRET)]);
    const err = await codecFor(`k2:${k2}`)
      .decode([old!])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadCodecError);
    expect((err as Error).message).toContain('key id "k1"');
    expect((err as Error).message).toContain(KEYS_ENV);
    expect((err as Error).message).not.toContain(k2);
  });

  it('refuses a tampered payload, a relabelled key id, and the wrong key under the right id', async () => {
    const codec = codecFor(`k1:${k1}\nk2:${k2}`);
    const [enc] = await codec.encode([payloadOf(SECRET)]);
    const flipped = Buffer.from(enc!.data!);
    flipped[20]! ^= 1;
    await expect(codec.decode([{ ...enc!, data: flipped }])).rejects.toThrow(/failed authentication/);
    const relabelled = { ...enc!, metadata: { ...enc!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "k2".*failed authentication/);
    await expect(codecFor(`k1:${k2}`).decode([enc!])).rejects.toThrow(PayloadCodecError);
    await expect(codec.decode([{ ...enc!, data: Buffer.from(enc!.data!).subarray(0, 10) }])).rejects.toThrow(
      /truncated/,
    );
  });

  it('passes payloads that are not encrypted through unchanged (history from before the key, UI signals)', async () => {
    const plain = payloadOf({ instance: 'gw-2' });
    const [decoded] = await codecFor(`k1:${k1}`).decode([plain]);
    expect(decoded).toBe(plain);
  });
});

describe('codec keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codec-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads inline keys (comma-separated) and key files (lines, comments); the first is current', async () => {
    const [a, b] = [key(), key()];
    const inline = await loadKeyring({ [KEYS_ENV]: `new:${a}, old:${b}` });
    expect(inline!.current.id).toBe('new');
    expect([...inline!.byId.keys()]).toEqual(['new', 'old']);
    const file = join(dir, 'keys');
    await writeFile(file, `# rotated 2026-10\nnew:${a}\n\nold:${b}   # keep until old runs close\n`);
    const fromFile = await loadKeyring({ [KEY_FILE_ENV]: file });
    expect(fromFile!.current.id).toBe('new');
    expect(fromFile!.byId.get('old')!.toString('base64')).toBe(b);
  });

  it('without keys there is only the compression and one warning line; keys add encryption after it', async () => {
    expect(await loadKeyring({})).toBeUndefined();
    const protection = await loadPayloadProtection({});
    expect(protection.dataConverter.payloadCodecs?.map((c) => c.constructor.name)).toEqual(['GzipPayloadCodec']);
    expect(protection.dataConverter.failureConverterPath).toBeUndefined();
    expect(protection.warning).toBe(NO_KEY_WARNING);
    expect(NO_KEY_WARNING).not.toContain('\n');
    const on = await loadPayloadProtection({ [KEYS_ENV]: `k1:${key()}` });
    expect(on.warning).toBeUndefined();
    expect(on.keyIds).toEqual(['k1']);
    expect(on.dataConverter.payloadCodecs?.map((c) => c.constructor.name)).toEqual([
      'GzipPayloadCodec',
      'AesGcmPayloadCodec',
    ]);
    expect(on.dataConverter.failureConverterPath).toMatch(/failure-converter\.ts$/);
  });

  const bad: [string, string, RegExp][] = [
    ['no id', key(), /no "id:" before its key/],
    ['short key', `k1:${randomBytes(16).toString('base64')}`, /decodes to 16 bytes, not 32/],
    ['not base64', 'k1:not*base64!', /is not base64/],
    ['bad id', `k 1:${key()}`, /key id \(before the first ":"\) must be/],
    ['duplicate id', `k1:${key()},k1:${key()}`, /"k1" appears twice/],
    ['empty', ' , ', /holds no key/],
  ];
  it.each(bad)(
    'refuses %s, naming the variable and how to make a key, never echoing the value',
    (_name, value, expected) => {
      const err = (() => {
        try {
          parseKeys(value, KEYS_ENV);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(PayloadCodecError);
      expect(err!.message).toMatch(expected);
      expect(err!.message).toContain(KEYS_ENV);
      const material = value.split(':').slice(1).join(':').split(',')[0]!;
      if (material.length > 8) expect(err!.message).not.toContain(material);
    },
  );

  it('names the file line of a bad entry, a missing file, and refuses both variables at once', async () => {
    const file = join(dir, 'bad-keys');
    await writeFile(file, `k1:${key()}\nk2:tooshort\n`);
    await expect(loadKeyring({ [KEY_FILE_ENV]: file })).rejects.toThrow(
      `${KEY_FILE_ENV} (${file}) line 2: the key of id "k2"`,
    );
    await expect(loadKeyring({ [KEY_FILE_ENV]: join(dir, 'missing') })).rejects.toThrow(
      /cannot read .*missing \(ENOENT\)/,
    );
    await expect(loadKeyring({ [KEYS_ENV]: `k1:${key()}`, [KEY_FILE_ENV]: file })).rejects.toThrow(
      /both .* are set; keep one/,
    );
  });

  it('a swapped entry (key before id) does not echo the key', () => {
    const k = key();
    expect(() => parseKeys(`${k}:k1`, KEYS_ENV)).toThrow(PayloadCodecError);
    try {
      parseKeys(`${k}:k1`, KEYS_ENV);
    } catch (e) {
      expect((e as Error).message).not.toContain(k.slice(0, 12));
    }
  });
});
