/**
 * The test client's device identity: an Ed25519 key pair (device id = sha256 of the raw public key),
 * the signatures it makes, and the device tokens gateways handed it, persisted as a 0600 JSON file.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A device token the gateway handed out in hello-ok, as stored by the client. */
export interface StoredDeviceToken {
  token: string;
  role: string;
  scopes: string[];
  /** hello-ok `auth.issuedAtMs` (rotatedAtMs ?? createdAtMs on the gateway). */
  issuedAtMs?: number;
  storedAtMs: number;
  /** bootId of the gateway process that issued it (diagnostics only). */
  bootId?: string;
}

interface IdentityFileV1 {
  version: 1;
  deviceId: string;
  /** raw 32-byte Ed25519 public key, base64url */
  publicKey: string;
  privateKeyPem: string;
  createdAtMs: number;
  /** gateway URL key (see gatewayKey) → role → token */
  deviceTokens: Record<string, Record<string, StoredDeviceToken>>;
}

/** Normalized key for "this gateway": scheme://host:port/path without trailing slash. */
export function gatewayKey(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

/** Short, non-reversible fingerprint of a secret, safe to log. */
export function tokenFingerprint(token: string | undefined): string | undefined {
  return token ? createHash('sha256').update(token).digest('hex').slice(0, 12) : undefined;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  const raw = Buffer.from(jwk.x, 'base64url');
  if (raw.length !== 32) throw new Error(`unexpected Ed25519 public key length ${raw.length}`);
  return raw;
}

export class DeviceIdentity {
  readonly deviceId: string;
  /** raw public key, base64url (what the `device.publicKey` connect field carries) */
  readonly publicKey: string;
  readonly createdAtMs: number;
  private readonly privateKey: KeyObject;
  private readonly privateKeyPem: string;
  private readonly tokens: Record<string, Record<string, StoredDeviceToken>>;
  /** file the identity is persisted to (undefined = in memory only) */
  filePath: string | undefined;
  private saveChain: Promise<void> = Promise.resolve();

  private constructor(file: IdentityFileV1, filePath: string | undefined) {
    this.privateKeyPem = file.privateKeyPem;
    this.privateKey = createPrivateKey(file.privateKeyPem);
    const raw = rawPublicKey(createPublicKey(this.privateKey));
    this.publicKey = raw.toString('base64url');
    this.deviceId = createHash('sha256').update(raw).digest('hex');
    if (file.publicKey !== this.publicKey || file.deviceId !== this.deviceId) {
      throw new Error(`identity file ${filePath ?? '(memory)'}: publicKey/deviceId do not match the private key`);
    }
    this.createdAtMs = file.createdAtMs;
    this.tokens = file.deviceTokens ?? {};
    this.filePath = filePath;
  }

  /** New Ed25519 identity; id = sha256 hex of the raw 32-byte public key. */
  static generate(filePath?: string): DeviceIdentity {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    return new DeviceIdentity(
      {
        version: 1,
        deviceId: createHash('sha256').update(raw).digest('hex'),
        publicKey: raw.toString('base64url'),
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        createdAtMs: Date.now(),
        deviceTokens: {},
      },
      filePath,
    );
  }

  static async load(filePath: string): Promise<DeviceIdentity> {
    const parsed = JSON.parse(await readFile(filePath, 'utf8')) as Partial<IdentityFileV1>;
    if (parsed.version !== 1 || typeof parsed.privateKeyPem !== 'string') {
      throw new Error(`${filePath}: not a ws-client identity file (version ${String(parsed.version)})`);
    }
    return new DeviceIdentity(parsed as IdentityFileV1, filePath);
  }

  /** Load the identity at filePath, or generate and save a new one there. */
  static async loadOrCreate(filePath: string): Promise<DeviceIdentity> {
    try {
      return await DeviceIdentity.load(filePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const identity = DeviceIdentity.generate(filePath);
    await identity.save();
    return identity;
  }

  /** Ed25519 signature of a UTF-8 payload, base64url. */
  sign(payload: string): string {
    return cryptoSign(null, Buffer.from(payload, 'utf8'), this.privateKey).toString('base64url');
  }

  getDeviceToken(url: string, role: string): StoredDeviceToken | undefined {
    return this.tokens[gatewayKey(url)]?.[role];
  }

  /** Remember a device token for (gateway, role). Call save() (or use autosave paths) to persist. */
  setDeviceToken(url: string, entry: StoredDeviceToken): void {
    const key = gatewayKey(url);
    (this.tokens[key] ??= {})[entry.role] = entry;
  }

  clearDeviceToken(url: string, role: string): boolean {
    const byRole = this.tokens[gatewayKey(url)];
    if (!byRole?.[role]) return false;
    delete byRole[role];
    return true;
  }

  /** Every stored token, for diagnostics (contains secrets: do not log). */
  listDeviceTokens(): Array<{ gateway: string } & StoredDeviceToken> {
    return Object.entries(this.tokens).flatMap(([gateway, byRole]) =>
      Object.values(byRole).map((entry) => ({ gateway, ...entry })),
    );
  }

  toJSON(): IdentityFileV1 {
    return {
      version: 1,
      deviceId: this.deviceId,
      publicKey: this.publicKey,
      privateKeyPem: this.privateKeyPem,
      createdAtMs: this.createdAtMs,
      deviceTokens: this.tokens,
    };
  }

  /** Persist to filePath (mode 0600, atomic rename). Saves are serialized. No-op without a path. */
  save(filePath: string | undefined = this.filePath): Promise<void> {
    if (!filePath) return Promise.resolve();
    this.filePath = filePath;
    const next = this.saveChain.then(async () => {
      await mkdir(dirname(filePath), { recursive: true });
      const tmp = `${filePath}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      await writeFile(tmp, `${JSON.stringify(this.toJSON(), null, 2)}\n`, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, filePath);
    });
    this.saveChain = next.catch(() => undefined);
    return next;
  }
}
