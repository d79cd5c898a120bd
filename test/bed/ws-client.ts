/**
 * A small test client of the OpenClaw gateway WebSocket protocol (v4) with its own Ed25519 device
 * identity. It reports close codes precisely and never hangs (every wait has a timeout).
 *
 * Protocol (confirmed in the installed openclaw 2026.9.6 package, dist/client-*.mjs,
 * dist/message-handler-*.mjs, dist/device-auth-*.mjs, dist/connect-error-details-*.mjs):
 * - server → `{type:"event", event:"connect.challenge", payload:{nonce, ts, capabilities}}`
 * - client → `{type:"req", id, method:"connect", params:{minProtocol:4, maxProtocol:4,
 *   client:{id, displayName?, version, platform, mode, instanceId?}, role, scopes,
 *   auth?:{token?, deviceToken?}, device:{id, publicKey, signature, signedAt, nonce}}}`
 *   (closed schema: unknown keys are rejected).
 * - signature = base64url Ed25519 over
 *   `v3|deviceId|clientId|clientMode|role|scopes.join(",")|signedAt|<token>|nonce|platform|deviceFamily`
 *   with platform/deviceFamily trimmed + ASCII-lowercased, `<token>` = the shared token if one is
 *   sent, else the device token, else "" (the real client signs with `challenge.ts` as signedAt).
 * - server → `{type:"res", id, ok:true, payload:{type:"hello-ok", protocol:4,
 *   server:{version, buildId?, bootId, connId, ...}, auth:{method, role, scopes, deviceToken?,
 *   issuedAtMs?}, policy:{tickIntervalMs, ...}, ...}}`
 *   or `{type:"res", id, ok:false, error:{code, message, details?:{code, ...}}}` followed by a close.
 *
 * Observed against two dev gateways (openclaw 2026.9.6, autoApproveLocal:false, client cli/cli,
 * role operator, scopes [operator.read]) by test/bed/ws-client.selfcheck.ts:
 * (2026-11-24 by the gateways' clocks; ports 19400/19600; every close below was a clean close frame)
 * - Rejections always arrive as a `res` with ok:false FIRST, then the close. error.code (top level)
 *   is coarse: NOT_PAIRED for pairing, INVALID_REQUEST for auth failures; the precise code is
 *   error.details.code (our `errorCode`).
 * - First connect, shared token, unknown device → close 1008
 *   `pairing required: device is not approved yet (requestId: <uuid>)`; error.code NOT_PAIRED;
 *   details = {code:"PAIRING_REQUIRED", reason:"not-paired", requestId, remediationHint, deviceId,
 *   requestedRole, requestedScopes}. The requestId lives in error.details.requestId (same value as
 *   `devices list --json` .pending[].requestId). It is also in the close reason, but close reasons are
 *   cut at 123 bytes: after a revoke the reason `pairing required: device is asking for a higher role
 *   than currently approved (requestId: ff184f53-7894-41d0-afa7-acebb0c` lost the id's tail → always
 *   read details.requestId.
 * - After `devices approve <id>`: shared-token connect → hello-ok, auth.method "token",
 *   auth.deviceToken (43-char base64url) + auth.issuedAtMs. Connect with that deviceToken → hello-ok,
 *   auth.method "device-token", and hello-ok hands the SAME deviceToken again. Tokens are per
 *   (gateway, device, role): B issued a different token for the same identity.
 * - Mismatch: A's device token presented ALONE to B → close 1008
 *   `unauthorized: device token mismatch (rotate/reissue device token)`, error.code INVALID_REQUEST,
 *   details {code:"AUTH_DEVICE_TOKEN_MISMATCH", authReason:"device_token_mismatch",
 *   canRetryWithDeviceToken:false, recommendedNextStep:"update_auth_credentials"}. Reproduced BOTH
 *   when the device is unknown on B (no pairing request is created then; any bogus device token from
 *   an unknown device gives the same) and when it is paired on B.
 *   It does NOT reproduce when B's shared token is sent too: unknown on B → PAIRING_REQUIRED (new
 *   pending request); paired on B → hello-ok (auth.method "token", B's own token re-delivered).
 * - B's logging.file gets TWO WARN records (subsystem gateway/ws) per rejected connect: message
 *   `unauthorized conn=<id> ... client=cli cli v<version> role=operator ... auth=device-token
 *   device=yes ... ua=node reason=device_token_mismatch guidance=unauthorized: device token mismatch
 *   (rotate/reissue device token)`, then `closed before connect conn=<id> ... code=1008 reason=n/a
 *   phase=auth_credentials_received` whose `authReason:"device_token_mismatch"` is only in the
 *   structured object, not in the message text. Grepping the raw file for device_token_mismatch
 *   counts each rejection twice; count `reason=device_token_mismatch` in `message` (or unique conn=).
 *   `openclaw logs --json` records: {type:"log", time, level:"warn", subsystem, message, raw}.
 * - `devices rotate --device <id> --role operator --scope operator.read --json` →
 *   {deviceId, role, scopes, rotatedAtMs, tokenDelivery:"withheld-cross-device"}; EVERY live socket
 *   of that device (two held connections) closed with 4001 `device removed` ~1 s later. The old
 *   token then gets the 1008 device token mismatch above; a shared-token connect gets hello-ok with
 *   the new token (auth.issuedAtMs == rotatedAtMs); HeldConnection with sharedToken recovered in
 *   ~0.3 s (4001 → 1008 mismatch with the stored token → fallback → hello via shared token);
 *   without sharedToken every reconnect is 1008 AUTH_DEVICE_TOKEN_MISMATCH (locked out).
 * - `devices revoke --device <id> --role operator --json` → {deviceId, role, revokedAtMs}; live
 *   socket closed 4001 `device removed`; stored token → 1008 device token mismatch; shared token →
 *   1008 PAIRING_REQUIRED with details.reason "role-upgrade" (+ approvedRoles/approvedScopes);
 *   approving that request restores a device token.
 * - CLI errors: approve with no id → preview JSON {selected, approvalState, approveCommand, ...},
 *   exit 1; approve unknown id → exit 1, stderr `No pending device request matches <id>. ...`;
 *   rotate / revoke unknown device → exit 1, stdout {"ok":false,"error":{"type":"cli_error",
 *   "message":"device token rotation denied" | "device token revocation denied"}} + stderr hints.
 *   No CLI output contained a token (nothing needed redaction).
 * - Other closes: no auth → 1008 AUTH_TOKEN_MISSING; wrong shared token → 1008 AUTH_TOKEN_MISMATCH
 *   (canRetryWithDeviceToken:true); nothing listening → 1006 (no close frame) at once.
 *   Gateway restart (SIGUSR2): event `shutdown` {reason:"gateway restarting", restartExpectedMs:1500},
 *   close 1012 `service restart`, ~3.5 s of 1006 (refused), then 1013 `gateway starting`
 *   (error.message "gateway starting; retry shortly", retryAfterMs 500, details
 *   {reason:"startup-sidecars"}, no details.code), then hello-ok with a new bootId 5–8 s after the
 *   shutdown; the device token survived the restart.
 *   A held connection stayed up > 85 s with no client-side pings (server ticks only).
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
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------------------------
// Device identity
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

export interface GatewayEventFrame {
  type: 'event';
  event: string;
  payload?: unknown;
  seq?: number;
}

export interface GatewayErrorShape {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
}

interface GatewayResponseFrame {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: GatewayErrorShape;
}

export interface HelloOk {
  type: 'hello-ok';
  protocol: number;
  server: { version: string; buildId?: string; bootId?: string; connId?: string; [k: string]: unknown };
  auth?: {
    method?: string;
    role?: string;
    scopes?: string[];
    deviceToken?: string;
    issuedAtMs?: number;
    [k: string]: unknown;
  };
  policy?: { tickIntervalMs?: number; [k: string]: unknown };
  [k: string]: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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

// ---------------------------------------------------------------------------------------------
// A live (post-hello) connection
// ---------------------------------------------------------------------------------------------

export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  atMs: number;
}

/** An open, authenticated gateway connection (after hello-ok). */
export class GatewaySocket {
  /** event frames received after hello-ok, in order (tick/health included); the newest
   * GatewaySocket.maxEvents are kept */
  readonly events: GatewayEventFrame[] = [];
  static maxEvents = 1_000;
  /** resolves once, when the socket closes (never rejects) */
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | undefined;
  private readonly listeners = new Set<(e: GatewayEventFrame) => void>();
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private resolveClosed!: (c: CloseInfo) => void;

  constructor(
    readonly ws: WebSocket,
    readonly hello: HelloOk,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  onEvent(listener: (e: GatewayEventFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal called by the handshake's message handler once hello-ok arrived */
  _handleFrame(frame: unknown): void {
    if (!isRecord(frame)) return;
    if (frame.type === 'event' && typeof frame.event === 'string') {
      const ev = frame as unknown as GatewayEventFrame;
      this.events.push(ev);
      if (this.events.length > GatewaySocket.maxEvents) this.events.splice(0, this.events.length - GatewaySocket.maxEvents);
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch {
          /* listener errors are not ours */
        }
      }
      return;
    }
    if (frame.type === 'res' && typeof frame.id === 'string') {
      const res = frame as unknown as GatewayResponseFrame;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.payload);
      else p.reject(new GatewayRequestError(res.error ?? { code: 'UNKNOWN', message: 'request failed' }));
    }
  }

  /** @internal */
  _handleClose(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    for (const p of this.pending.values()) p.reject(new Error(`gateway closed (${info.code}): ${info.reason}`));
    this.pending.clear();
    this.resolveClosed(info);
  }

  /** RPC over the open connection (e.g. `health`); rejects on error, close or timeout. */
  request(method: string, params: unknown = {}, timeoutMs = 10_000): Promise<unknown> {
    if (!this.isOpen) return Promise.reject(new Error('socket not open'));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request ${method} timed out after ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  /** Close (client side) and wait for the close to complete, at most timeoutMs. */
  async close(code = 1000, reason = 'test client closing', timeoutMs = 5_000): Promise<CloseInfo> {
    if (this.closeInfo) return this.closeInfo;
    try {
      this.ws.close(code, reason);
    } catch {
      /* already closing */
    }
    const timeout = new Promise<CloseInfo>((resolve) =>
      setTimeout(() => resolve({ code: 1006, reason: 'close timeout', wasClean: false, atMs: Date.now() }), timeoutMs).unref(),
    );
    return Promise.race([this.closed, timeout]);
  }
}

export class GatewayRequestError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(readonly error: GatewayErrorShape) {
    super(error.message);
    this.name = 'GatewayRequestError';
    this.code = error.code;
    this.details = error.details;
  }
}

// ---------------------------------------------------------------------------------------------
// connectOnce
// ---------------------------------------------------------------------------------------------

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
}

export type AuthKind = 'shared-token' | 'device-token' | 'shared-token+device-token' | 'none';

export interface HelloOutcome {
  kind: 'hello';
  url: string;
  authUsed: AuthKind;
  /** the device token issued in hello-ok, if any (secret: do not log; see deviceTokenFp) */
  deviceToken?: string;
  deviceTokenFp?: string;
  issuedAtMs?: number;
  authMethod?: string;
  server: { version: string; bootId: string | undefined; buildId?: string; connId?: string };
  role: string | undefined;
  scopes: string[];
  hello: HelloOk;
  socket: GatewaySocket;
}

export interface ClosedOutcome {
  kind: 'closed';
  url: string;
  authUsed: AuthKind;
  /** WebSocket close code (1006 = no close frame, e.g. connection refused) */
  code: number;
  reason: string;
  wasClean: boolean;
  /** where the close happened: before the challenge, or after sending connect */
  phase: 'before-challenge' | 'after-challenge' | 'after-connect';
  /** error.details.code of the connect response, e.g. AUTH_DEVICE_TOKEN_MISMATCH, PAIRING_REQUIRED */
  errorCode?: string;
  /** error.code of the connect response, e.g. INVALID_REQUEST, NOT_PAIRED */
  gatewayErrorCode?: string;
  errorMessage?: string;
  /** error.details (for PAIRING_REQUIRED it carries requestId, reason, deviceId, ...) */
  details?: Record<string, unknown>;
  /** convenience: details.requestId when present */
  requestId?: string;
  /** error.retryable / error.retryAfterMs (e.g. 1013 "gateway starting" during a restart) */
  retryable?: boolean;
  retryAfterMs?: number;
  transportError?: string;
}

export interface TimeoutOutcome {
  kind: 'timeout';
  url: string;
  authUsed: AuthKind;
  phase: 'connecting' | 'waiting-challenge' | 'waiting-hello' | 'waiting-close';
  timeoutMs: number;
  /** a connect error received before the timeout (the close then never arrived) */
  errorCode?: string;
  errorMessage?: string;
  details?: Record<string, unknown>;
}

export type ConnectOutcome = HelloOutcome | ClosedOutcome | TimeoutOutcome;

const DEFAULT_CLIENT_VERSION = '0.1.0-openclaw-rollout-testbed';

function resolveAuth(
  opts: ConnectOptions,
  role: string,
): { auth: { token?: string; deviceToken?: string } | undefined; authUsed: AuthKind; signatureToken: string | undefined } {
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
  const auth = token || deviceToken ? { ...(token ? { token } : {}), ...(deviceToken ? { deviceToken } : {}) } : undefined;
  return { auth, authUsed, signatureToken: token ?? deviceToken };
}

/**
 * One connection attempt. Resolves (never rejects for protocol/transport failures, never hangs)
 * with hello (socket left open: close it via outcome.socket.close()), closed, or timeout.
 * Rejects only for caller errors (e.g. auth 'stored' without a stored token).
 */
export async function connectOnce(opts: ConnectOptions): Promise<ConnectOutcome> {
  const role = opts.role ?? 'operator';
  const scopes = opts.scopes ?? ['operator.read'];
  const clientId = opts.clientId ?? 'cli';
  const clientMode = opts.clientMode ?? 'cli';
  const platform = opts.platform ?? process.platform;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const { auth, authUsed, signatureToken } = resolveAuth(opts, role);
  const url = opts.url;

  return new Promise<ConnectOutcome>((resolve) => {
    let phase: TimeoutOutcome['phase'] = 'connecting';
    let connectError: GatewayErrorShape | undefined;
    let transportError: string | undefined;
    let live: GatewaySocket | undefined;
    let settled = false;
    const connectReqId = randomUUID();

    const settle = (o: ConnectOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };

    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      settle({ kind: 'closed', url, authUsed, code: 1006, reason: '', wasClean: false, phase: 'before-challenge', transportError: String(err) });
      return;
    }

    const timer = setTimeout(() => {
      const details = connectError?.details;
      settle({
        kind: 'timeout',
        url,
        authUsed,
        phase,
        timeoutMs,
        ...(connectError ? { errorMessage: connectError.message } : {}),
        ...(typeof details?.code === 'string' ? { errorCode: details.code } : {}),
        ...(details ? { details } : {}),
      });
      try {
        ws.close(1000, 'test client timeout');
      } catch {
        /* ignore */
      }
    }, timeoutMs);

    ws.addEventListener('open', () => {
      if (phase === 'connecting') phase = 'waiting-challenge';
    });

    ws.addEventListener('error', (ev) => {
      const e = ev as Event & { message?: string; error?: unknown };
      transportError = e.message ?? (e.error instanceof Error ? e.error.message : 'websocket error');
    });

    ws.addEventListener('message', (ev: MessageEvent) => {
      let frame: unknown;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString('utf8'));
      } catch {
        return;
      }
      if (live) {
        live._handleFrame(frame);
        return;
      }
      if (!isRecord(frame)) return;
      if (frame.type === 'event' && frame.event === 'connect.challenge' && phase !== 'waiting-hello') {
        const payload = isRecord(frame.payload) ? frame.payload : {};
        const nonce = typeof payload.nonce === 'string' ? payload.nonce.trim() : '';
        const signedAtMs = typeof payload.ts === 'number' && Number.isSafeInteger(payload.ts) ? payload.ts : Date.now();
        const device =
          opts.sendDevice === false
            ? undefined
            : {
                id: opts.identity.deviceId,
                publicKey: opts.identity.publicKey,
                signature: opts.identity.sign(
                  buildDeviceAuthPayloadV3({
                    deviceId: opts.identity.deviceId,
                    clientId,
                    clientMode,
                    role,
                    scopes,
                    signedAtMs,
                    token: signatureToken,
                    nonce,
                    platform,
                    deviceFamily: opts.deviceFamily,
                  }),
                ),
                signedAt: signedAtMs,
                nonce,
              };
        const params = {
          minProtocol: 4,
          maxProtocol: 4,
          client: {
            id: clientId,
            ...(opts.displayName ? { displayName: opts.displayName } : {}),
            version: opts.clientVersion ?? DEFAULT_CLIENT_VERSION,
            platform,
            ...(opts.deviceFamily ? { deviceFamily: opts.deviceFamily } : {}),
            mode: clientMode,
            ...(opts.instanceId ? { instanceId: opts.instanceId } : {}),
          },
          role,
          scopes,
          ...(auth ? { auth } : {}),
          ...(device ? { device } : {}),
        };
        phase = 'waiting-hello';
        ws.send(JSON.stringify({ type: 'req', id: connectReqId, method: 'connect', params }));
        return;
      }
      if (frame.type === 'res' && frame.id === connectReqId) {
        const res = frame as unknown as GatewayResponseFrame;
        if (!res.ok) {
          connectError = res.error ?? { code: 'UNKNOWN', message: 'connect failed' };
          phase = 'waiting-close';
          return;
        }
        const hello = res.payload as HelloOk;
        live = new GatewaySocket(ws, hello);
        const deviceToken = hello.auth?.deviceToken;
        const tokenRole = hello.auth?.role ?? role;
        const outcome: HelloOutcome = {
          kind: 'hello',
          url,
          authUsed,
          ...(deviceToken ? { deviceToken, deviceTokenFp: tokenFingerprint(deviceToken) } : {}),
          ...(hello.auth?.issuedAtMs !== undefined ? { issuedAtMs: hello.auth.issuedAtMs } : {}),
          ...(hello.auth?.method ? { authMethod: hello.auth.method } : {}),
          server: {
            version: hello.server.version,
            bootId: hello.server.bootId,
            ...(hello.server.buildId ? { buildId: hello.server.buildId } : {}),
            ...(hello.server.connId ? { connId: hello.server.connId } : {}),
          },
          role: hello.auth?.role,
          scopes: hello.auth?.scopes ?? [],
          hello,
          socket: live,
        };
        if (deviceToken && opts.storeDeviceToken !== false) {
          opts.identity.setDeviceToken(url, {
            token: deviceToken,
            role: tokenRole,
            scopes: hello.auth?.scopes ?? scopes,
            ...(hello.auth?.issuedAtMs !== undefined ? { issuedAtMs: hello.auth.issuedAtMs } : {}),
            storedAtMs: Date.now(),
            ...(hello.server.bootId ? { bootId: hello.server.bootId } : {}),
          });
          opts.identity.save().then(
            () => settle(outcome),
            () => settle(outcome),
          );
          return;
        }
        settle(outcome);
      }
    });

    ws.addEventListener('close', (ev: CloseEvent) => {
      const info: CloseInfo = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, atMs: Date.now() };
      if (live) {
        live._handleClose(info);
        return;
      }
      const details = connectError?.details;
      const requestId = typeof details?.requestId === 'string' ? details.requestId : undefined;
      settle({
        kind: 'closed',
        url,
        authUsed,
        code: ev.code,
        reason: ev.reason,
        wasClean: ev.wasClean,
        phase: connectError || phase === 'waiting-hello' ? 'after-connect' : phase === 'waiting-challenge' ? 'after-challenge' : 'before-challenge',
        ...(typeof details?.code === 'string' ? { errorCode: details.code } : {}),
        ...(connectError ? { gatewayErrorCode: connectError.code, errorMessage: connectError.message } : {}),
        ...(details ? { details } : {}),
        ...(requestId ? { requestId } : {}),
        ...(connectError?.retryable !== undefined ? { retryable: connectError.retryable } : {}),
        ...(typeof connectError?.retryAfterMs === 'number' ? { retryAfterMs: connectError.retryAfterMs } : {}),
        ...(transportError ? { transportError } : {}),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HeldConnection: a long-lived client that records every close and can reconnect
// ---------------------------------------------------------------------------------------------

export type HeldEvent =
  | { type: 'connecting'; atMs: number; attempt: number; auth: AuthKind }
  | {
      type: 'hello';
      atMs: number;
      attempt: number;
      auth: AuthKind;
      serverVersion: string;
      bootId: string | undefined;
      connId: string | undefined;
      role: string | undefined;
      scopes: string[];
      deviceTokenIssued: boolean;
      deviceTokenFp: string | undefined;
      /** the stored device token changed because of this hello */
      deviceTokenChanged: boolean;
    }
  | {
      type: 'close';
      atMs: number;
      attempt: number;
      auth: AuthKind;
      /** pre-hello = the connect was rejected; post-hello = a live connection was closed */
      phase: 'pre-hello' | 'post-hello';
      code: number;
      reason: string;
      wasClean: boolean;
      errorCode?: string;
      errorMessage?: string;
      requestId?: string;
      retryAfterMs?: number;
      details?: Record<string, unknown>;
      /** post-hello only: how long the connection was up */
      upMs?: number;
    }
  | { type: 'timeout'; atMs: number; attempt: number; auth: AuthKind; phase: string; errorCode?: string }
  | { type: 'fallback'; atMs: number; attempt: number; from: AuthKind; to: AuthKind; because: string }
  | { type: 'gateway-event'; atMs: number; attempt: number; event: string; payload?: unknown }
  | { type: 'paused'; atMs: number; attempt: number; because: string }
  | { type: 'stopped'; atMs: number };

export interface HeldConnectionOptions {
  url: string;
  identity: DeviceIdentity;
  role?: string;
  scopes?: string[];
  clientId?: string;
  clientMode?: string;
  displayName?: string;
  instanceId?: string;
  /** the gateway's shared token; used when there is no stored device token, and as fallback on a
   * device-token rejection (like a real client configured with shared auth) */
  sharedToken?: string;
  /** reconnect after every close (default true) */
  reconnect?: boolean;
  /** backoff for reconnects: initial 500 ms, doubling, max 10 s; reset after hello */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** per-attempt handshake timeout (default 15 s) */
  connectTimeoutMs?: number;
  /** with no shared token, a device-token mismatch is terminal for a real node host ('pause');
   * 'retry' keeps presenting the stale token (default 'retry') */
  onDeviceTokenMismatch?: 'retry' | 'pause';
  /** gateway events to record as 'gateway-event' (default: ['shutdown']) */
  recordGatewayEvents?: string[];
  /** called for every event as it is recorded (e.g. to print NDJSON) */
  onEvent?: (e: HeldEvent) => void;
}

export class HeldConnection {
  readonly events: HeldEvent[] = [];
  private stopped = false;
  private attempt = 0;
  private current: GatewaySocket | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly opts: HeldConnectionOptions) {}

  get connected(): boolean {
    return this.current?.isOpen ?? false;
  }

  /** the live socket, if connected */
  get socket(): GatewaySocket | undefined {
    return this.connected ? this.current : undefined;
  }

  /** resolves when the reconnect loop has ended (after stop(), a 'paused' event, or reconnect:false) */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  get closes(): Array<Extract<HeldEvent, { type: 'close' }>> {
    return this.events.filter((e): e is Extract<HeldEvent, { type: 'close' }> => e.type === 'close');
  }

  /** Starts the connect/reconnect loop; resolves with the first attempt's hello or close/timeout event. */
  async start(firstOutcomeTimeoutMs = (this.opts.connectTimeoutMs ?? 15_000) + 5_000): Promise<HeldEvent> {
    if (this.loop) throw new Error('already started');
    const since = this.events.length;
    this.loop = this.run();
    return this.waitFor((e) => e.type === 'hello' || e.type === 'close' || e.type === 'timeout' || e.type === 'paused', firstOutcomeTimeoutMs, { since });
  }

  /** Stops reconnecting and closes the live socket (code 1000). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.current?.close(1000, 'held connection stopped');
    await this.loop;
  }

  /**
   * Resolves with the first event (at index >= since, default 0 = the whole history) matching the
   * predicate; rejects after timeoutMs. Pass `since: held.events.length` taken BEFORE the action
   * whose effect you wait for.
   */
  waitFor<T extends HeldEvent = HeldEvent>(
    predicate: (e: HeldEvent) => boolean,
    timeoutMs: number,
    opts: { since?: number } = {},
  ): Promise<T> {
    let index = opts.since ?? 0;
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        for (; index < this.events.length; index++) {
          const e = this.events[index]!;
          if (predicate(e)) {
            cleanup();
            resolve(e as T);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`HeldConnection.waitFor timed out after ${timeoutMs}ms (${this.events.length} events recorded)`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      this.waiters.add(waiter);
      check();
    });
  }

  private record(e: HeldEvent): void {
    this.events.push(e);
    try {
      this.opts.onEvent?.(e);
    } catch {
      /* not ours */
    }
    for (const w of [...this.waiters]) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const role = this.opts.role ?? 'operator';
    const initialMs = this.opts.reconnectInitialMs ?? 500;
    const maxMs = this.opts.reconnectMaxMs ?? 10_000;
    const recordEvents = new Set(this.opts.recordGatewayEvents ?? ['shutdown']);
    let delayMs = initialMs;
    /** set after a device-token rejection: the next attempt uses the shared token */
    let forceShared = false;

    while (!this.stopped) {
      this.attempt += 1;
      const attempt = this.attempt;
      const stored = this.opts.identity.getDeviceToken(this.opts.url, role);
      const useShared = !!this.opts.sharedToken && (forceShared || !stored);
      forceShared = false;
      const auth: ConnectAuth = useShared ? { token: this.opts.sharedToken! } : stored ? { deviceToken: stored.token } : 'none';
      const authKind: AuthKind = useShared ? 'shared-token' : stored ? 'device-token' : 'none';
      this.record({ type: 'connecting', atMs: Date.now(), attempt, auth: authKind });

      const outcome = await connectOnce({
        url: this.opts.url,
        identity: this.opts.identity,
        role,
        auth,
        ...(this.opts.scopes ? { scopes: this.opts.scopes } : {}),
        ...(this.opts.clientId ? { clientId: this.opts.clientId } : {}),
        ...(this.opts.clientMode ? { clientMode: this.opts.clientMode } : {}),
        ...(this.opts.displayName ? { displayName: this.opts.displayName } : {}),
        ...(this.opts.instanceId ? { instanceId: this.opts.instanceId } : {}),
        timeoutMs: this.opts.connectTimeoutMs ?? 15_000,
      });

      if (outcome.kind === 'hello') {
        const newStored = this.opts.identity.getDeviceToken(this.opts.url, role);
        this.current = outcome.socket;
        const upSince = Date.now();
        const unsubscribe = outcome.socket.onEvent((ev) => {
          if (recordEvents.has(ev.event)) {
            this.record({ type: 'gateway-event', atMs: Date.now(), attempt, event: ev.event, payload: ev.payload });
          }
        });
        this.record({
          type: 'hello',
          atMs: upSince,
          attempt,
          auth: authKind,
          serverVersion: outcome.server.version,
          bootId: outcome.server.bootId,
          connId: outcome.server.connId,
          role: outcome.role,
          scopes: outcome.scopes,
          deviceTokenIssued: !!outcome.deviceToken,
          deviceTokenFp: outcome.deviceTokenFp,
          deviceTokenChanged: (newStored?.token ?? undefined) !== (stored?.token ?? undefined),
        });
        if (this.stopped) await outcome.socket.close(1000, 'held connection stopped');
        const info = await outcome.socket.closed;
        unsubscribe();
        this.current = undefined;
        this.record({
          type: 'close',
          atMs: info.atMs,
          attempt,
          auth: authKind,
          phase: 'post-hello',
          code: info.code,
          reason: info.reason,
          wasClean: info.wasClean,
          upMs: info.atMs - upSince,
        });
        delayMs = initialMs;
        if (this.stopped || this.opts.reconnect === false) break;
        // a real client reconnects quickly after a server-side close
        await this.sleep(Math.min(delayMs, 250));
        continue;
      }

      if (outcome.kind === 'closed') {
        this.record({
          type: 'close',
          atMs: Date.now(),
          attempt,
          auth: authKind,
          phase: 'pre-hello',
          code: outcome.code,
          reason: outcome.reason,
          wasClean: outcome.wasClean,
          ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
          ...(outcome.errorMessage ? { errorMessage: outcome.errorMessage } : {}),
          ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
          ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
          ...(outcome.details ? { details: outcome.details } : {}),
        });
        const deviceTokenRejected =
          authKind === 'device-token' &&
          (outcome.errorCode === 'AUTH_DEVICE_TOKEN_MISMATCH' || /device token mismatch/i.test(outcome.reason));
        if (deviceTokenRejected && this.opts.sharedToken) {
          // like the real client: drop the stale token, reconnect with shared auth right away
          this.opts.identity.clearDeviceToken(this.opts.url, role);
          await this.opts.identity.save().catch(() => undefined);
          this.record({
            type: 'fallback',
            atMs: Date.now(),
            attempt,
            from: 'device-token',
            to: 'shared-token',
            because: outcome.errorCode ?? outcome.reason,
          });
          forceShared = true;
          if (this.opts.reconnect === false) break;
          continue;
        }
        if (deviceTokenRejected && this.opts.onDeviceTokenMismatch === 'pause') {
          this.record({ type: 'paused', atMs: Date.now(), attempt, because: outcome.errorCode ?? outcome.reason });
          break;
        }
      } else {
        this.record({
          type: 'timeout',
          atMs: Date.now(),
          attempt,
          auth: authKind,
          phase: outcome.phase,
          ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
        });
      }
      if (this.stopped || this.opts.reconnect === false) break;
      const retryAfterMs = outcome.kind === 'closed' ? outcome.retryAfterMs : undefined;
      await this.sleep(retryAfterMs !== undefined ? Math.min(Math.max(retryAfterMs, 100), maxMs) : delayMs);
      delayMs = Math.min(delayMs * 2, maxMs);
    }
    this.record({ type: 'stopped', atMs: Date.now() });
  }
}

// ---------------------------------------------------------------------------------------------
// CLI: `node --import tsx test/bed/ws-client.ts <connect|hold> --url ws://... --identity file ...`
// ---------------------------------------------------------------------------------------------

const CLI_USAGE = `usage: node --import tsx test/bed/ws-client.ts <connect|hold|identity> [options]
  --url ws://127.0.0.1:PORT       gateway URL (required for connect/hold)
  --identity FILE                 identity JSON (created, mode 0600, if missing)
  --role ROLE                     default operator
  --scope SCOPE                   repeatable; default operator.read
  --auth stored|shared|none       connect: which credential to present (default: stored if any, else shared)
  --token-env NAME                env var holding the gateway's shared token (default OPENCLAW_GATEWAY_TOKEN)
  --client-id ID --client-mode M  default cli / cli
  --timeout-ms N                  per-attempt handshake timeout (default 15000)
  --no-shared-fallback            hold: never use the shared token (locked out after a mismatch)
  --pause-on-mismatch             hold: stop reconnecting after a device-token mismatch
Prints one JSON line per outcome/event on stdout; tokens are never printed (only *Fp fingerprints).`;

function redactOutcome(o: ConnectOutcome): Record<string, unknown> {
  if (o.kind === 'hello') {
    const { socket: _socket, hello: _hello, deviceToken: _deviceToken, ...rest } = o;
    return rest;
  }
  return { ...o };
}

async function cliMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      identity: { type: 'string' },
      role: { type: 'string', default: 'operator' },
      scope: { type: 'string', multiple: true },
      auth: { type: 'string' },
      'token-env': { type: 'string', default: 'OPENCLAW_GATEWAY_TOKEN' },
      'client-id': { type: 'string', default: 'cli' },
      'client-mode': { type: 'string', default: 'cli' },
      'timeout-ms': { type: 'string', default: '15000' },
      'no-shared-fallback': { type: 'boolean', default: false },
      'pause-on-mismatch': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const mode = positionals[0] ?? 'hold';
  if (values.help || !['connect', 'hold', 'identity'].includes(mode) || !values.identity) {
    process.stderr.write(`${CLI_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const identity = await DeviceIdentity.loadOrCreate(values.identity);
  const print = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  if (mode === 'identity') {
    print({ deviceId: identity.deviceId, publicKey: identity.publicKey, file: identity.filePath });
    return 0;
  }
  if (!values.url) {
    process.stderr.write(`${CLI_USAGE}\n`);
    return 2;
  }
  const role = values.role;
  const scopes = values.scope && values.scope.length > 0 ? values.scope : ['operator.read'];
  const sharedToken = process.env[values['token-env']]?.trim() || undefined;
  const timeoutMs = Number(values['timeout-ms']);
  const common = {
    url: values.url,
    identity,
    role,
    scopes,
    clientId: values['client-id'],
    clientMode: values['client-mode'],
  };

  if (mode === 'connect') {
    const stored = identity.getDeviceToken(values.url, role);
    const which = values.auth ?? (stored ? 'stored' : 'shared');
    let auth: ConnectAuth;
    if (which === 'stored') auth = 'stored';
    else if (which === 'shared') {
      if (!sharedToken) throw new Error(`--auth shared needs $${values['token-env']}`);
      auth = { token: sharedToken };
    } else auth = 'none';
    const outcome = await connectOnce({ ...common, auth, timeoutMs });
    print({ deviceId: identity.deviceId, ...redactOutcome(outcome) });
    if (outcome.kind === 'hello') await outcome.socket.close();
    return outcome.kind === 'hello' ? 0 : 1;
  }

  const held = new HeldConnection({
    ...common,
    ...(sharedToken && !values['no-shared-fallback'] ? { sharedToken } : {}),
    connectTimeoutMs: timeoutMs,
    onDeviceTokenMismatch: values['pause-on-mismatch'] ? 'pause' : 'retry',
    reconnect: true,
    onEvent: (e) => print({ deviceId: identity.deviceId, ...e }),
  });
  const stop = (): void => void held.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  void held.start().catch(() => undefined);
  // hold forever (until a signal, or a 'paused' event)
  await held.done;
  return 0;
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  cliMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
