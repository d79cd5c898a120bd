/**
 * The client's half of the connect handshake: which credentials to present, the v3 device-auth
 * signature over the challenge, and the `connect` request's params (see protocol.md).
 */
import { gatewayKey, type DeviceIdentity } from './device-identity.js';
import { isRecord } from './frames.js';

/**
 * What to present as credentials:
 * - `{token}`: the gateway's shared auth token (+ the device identity): pairing flow, may issue a device token
 * - `{deviceToken}`: a device token (signature covers it)
 * - `{token, deviceToken}`: both (signature covers the shared token, like the real client)
 * - `'stored'`: the identity's stored device token for this gateway URL and role (throws if none)
 * - `'none'`: no auth field at all (device identity only)
 */
export type ConnectAuth = { token?: string; deviceToken?: string } | 'stored' | 'none';

export interface ConnectOptions {
  url: string;
  identity: DeviceIdentity;
  role?: string;
  scopes?: string[];
  auth: ConnectAuth;
  clientId?: string;
  clientMode?: string;
  clientVersion?: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  instanceId?: string;
  /** whole handshake budget (socket open + challenge + hello/close). Default 15 s. */
  timeoutMs?: number;
  /** store a device token from hello-ok in the identity (and save it if it has a file). Default true. */
  storeDeviceToken?: boolean;
  /** send the identity's device block (default true). false = no `device` field. */
  sendDevice?: boolean;
  /**
   * protocol range offered (default 4-4). 2026.4.1 speaks only 3 ("protocol mismatch", expectedProtocol 3);
   * 2026.9 takes a 3-4 client at 4: a client that lives through a jump from 2026.4 offers 3-4.
   */
  protocols?: { min: number; max: number };
}

export type AuthKind = 'shared-token' | 'device-token' | 'shared-token+device-token' | 'none';

/** The options of one connect with their defaults applied. */
export interface ConnectSettings {
  role: string;
  scopes: string[];
  clientId: string;
  clientMode: string;
  platform: string;
  timeoutMs: number;
}

export function connectSettings(opts: ConnectOptions): ConnectSettings {
  return {
    role: opts.role ?? 'operator',
    scopes: opts.scopes ?? ['operator.read'],
    clientId: opts.clientId ?? 'cli',
    clientMode: opts.clientMode ?? 'cli',
    platform: opts.platform ?? process.platform,
    timeoutMs: opts.timeoutMs ?? 15_000,
  };
}

/** The credentials a connect presents, and the token its signature covers. */
export interface ResolvedAuth {
  auth: { token?: string; deviceToken?: string } | undefined;
  authUsed: AuthKind;
  signatureToken: string | undefined;
}

const DEFAULT_CLIENT_VERSION = '0.1.0-openclaw-rollout-testbed';

export function resolveAuth(opts: ConnectOptions, role: string): ResolvedAuth {
  let token: string | undefined;
  let deviceToken: string | undefined;
  if (opts.auth === 'stored') {
    const stored = opts.identity.getDeviceToken(opts.url, role);
    if (!stored) throw new Error(`no stored device token for ${gatewayKey(opts.url)} role ${role}`);
    deviceToken = stored.token;
  } else if (opts.auth !== 'none') {
    token = opts.auth.token || undefined;
    deviceToken = opts.auth.deviceToken || undefined;
  }
  const authUsed: AuthKind =
    token && deviceToken ? 'shared-token+device-token' : token ? 'shared-token' : deviceToken ? 'device-token' : 'none';
  const auth =
    token || deviceToken ? { ...(token ? { token } : {}), ...(deviceToken ? { deviceToken } : {}) } : undefined;
  return { auth, authUsed, signatureToken: token ?? deviceToken };
}

/** Builds the v3 device-auth signature payload exactly like the installed client does. */
export function buildDeviceAuthPayloadV3(p: {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAtMs: number;
  token: string | undefined;
  nonce: string;
  platform: string | undefined;
  deviceFamily: string | undefined;
}): string {
  const norm = (v: string | undefined): string => (v ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  return [
    'v3',
    p.deviceId,
    p.clientId,
    p.clientMode,
    p.role,
    p.scopes.join(','),
    String(p.signedAtMs),
    p.token ?? '',
    p.nonce,
    norm(p.platform),
    norm(p.deviceFamily),
  ].join('|');
}

/** The signed `device` block of a connect, answering the challenge's nonce. */
function signedDevice(
  opts: ConnectOptions,
  s: ConnectSettings,
  signatureToken: string | undefined,
  challenge: unknown,
) {
  const payload = isRecord(challenge) ? challenge : {};
  const nonce = typeof payload.nonce === 'string' ? payload.nonce.trim() : '';
  const signedAtMs = typeof payload.ts === 'number' && Number.isSafeInteger(payload.ts) ? payload.ts : Date.now();
  return {
    id: opts.identity.deviceId,
    publicKey: opts.identity.publicKey,
    signature: opts.identity.sign(
      buildDeviceAuthPayloadV3({
        deviceId: opts.identity.deviceId,
        clientId: s.clientId,
        clientMode: s.clientMode,
        role: s.role,
        scopes: s.scopes,
        signedAtMs,
        token: signatureToken,
        nonce,
        platform: s.platform,
        deviceFamily: opts.deviceFamily,
      }),
    ),
    signedAt: signedAtMs,
    nonce,
  };
}

/** The params of the `connect` request answering a `connect.challenge` event's payload. */
export function connectParams(opts: ConnectOptions, s: ConnectSettings, resolved: ResolvedAuth, challenge: unknown) {
  const device = opts.sendDevice === false ? undefined : signedDevice(opts, s, resolved.signatureToken, challenge);
  return {
    minProtocol: opts.protocols?.min ?? 4,
    maxProtocol: opts.protocols?.max ?? 4,
    client: {
      id: s.clientId,
      ...(opts.displayName ? { displayName: opts.displayName } : {}),
      version: opts.clientVersion ?? DEFAULT_CLIENT_VERSION,
      platform: s.platform,
      ...(opts.deviceFamily ? { deviceFamily: opts.deviceFamily } : {}),
      mode: s.clientMode,
      ...(opts.instanceId ? { instanceId: opts.instanceId } : {}),
    },
    role: s.role,
    scopes: s.scopes,
    ...(resolved.auth ? { auth: resolved.auth } : {}),
    ...(device ? { device } : {}),
  };
}
