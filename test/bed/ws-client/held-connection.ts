/**
 * HeldConnection: a long-lived client like a real node host. It records every connect, hello,
 * close and fallback as a HeldEvent, reconnects with backoff, and falls back from a rejected device
 * token to the shared token.
 */
import type { AuthKind, ConnectAuth, ConnectOptions } from './connect-request.js';
import type { ClosedOutcome, HelloOutcome } from './connect-outcome.js';
import { connectOnce } from './connect-once.js';
import type { DeviceIdentity, StoredDeviceToken } from './device-identity.js';
import type { GatewaySocket } from './gateway-socket.js';
import type { HeldEvent } from './held-events.js';

export interface HeldConnectionOptions {
  url: string;
  identity: DeviceIdentity;
  role?: string;
  scopes?: string[];
  clientId?: string;
  clientMode?: string;
  displayName?: string;
  instanceId?: string;
  /** protocol range offered (connect-request.ts; default 4-4) */
  protocols?: { min: number; max: number };
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
    return this.waitFor(
      (e) => e.type === 'hello' || e.type === 'close' || e.type === 'timeout' || e.type === 'paused',
      firstOutcomeTimeoutMs,
      { since },
    );
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
        reject(
          new Error(`HeldConnection.waitFor timed out after ${timeoutMs}ms (${this.events.length} events recorded)`),
        );
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
    const initialMs = this.opts.reconnectInitialMs ?? 500;
    const maxMs = this.opts.reconnectMaxMs ?? 10_000;
    let delayMs = initialMs;
    /** set after a device-token rejection: the next attempt uses the shared token */
    let forceShared = false;

    while (!this.stopped) {
      this.attempt += 1;
      const attempt = this.attempt;
      const stored = this.opts.identity.getDeviceToken(this.opts.url, this.role);
      const useShared = !!this.opts.sharedToken && (forceShared || !stored);
      forceShared = false;
      const auth: ConnectAuth = useShared
        ? { token: this.opts.sharedToken! }
        : stored
          ? { deviceToken: stored.token }
          : 'none';
      const authKind: AuthKind = useShared ? 'shared-token' : stored ? 'device-token' : 'none';
      this.record({ type: 'connecting', atMs: Date.now(), attempt, auth: authKind });

      const outcome = await connectOnce(this.connectOptions(auth));

      if (outcome.kind === 'hello') {
        await this.holdUntilClosed(outcome, attempt, authKind, stored);
        delayMs = initialMs;
        if (this.stopped || this.opts.reconnect === false) break;
        // a real client reconnects quickly after a server-side close
        await this.sleep(Math.min(delayMs, 250));
        continue;
      }

      if (outcome.kind === 'closed') {
        const next = await this.afterRefusal(outcome, attempt, authKind);
        if (next === 'fall-back-to-shared-token') {
          forceShared = true;
          if (this.opts.reconnect === false) break;
          continue;
        }
        if (next === 'paused') break;
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

  private get role(): string {
    return this.opts.role ?? 'operator';
  }

  private connectOptions(auth: ConnectAuth): ConnectOptions {
    return {
      url: this.opts.url,
      identity: this.opts.identity,
      role: this.role,
      auth,
      ...(this.opts.scopes ? { scopes: this.opts.scopes } : {}),
      ...(this.opts.clientId ? { clientId: this.opts.clientId } : {}),
      ...(this.opts.clientMode ? { clientMode: this.opts.clientMode } : {}),
      ...(this.opts.displayName ? { displayName: this.opts.displayName } : {}),
      ...(this.opts.instanceId ? { instanceId: this.opts.instanceId } : {}),
      ...(this.opts.protocols ? { protocols: this.opts.protocols } : {}),
      timeoutMs: this.opts.connectTimeoutMs ?? 15_000,
    };
  }

  /** Records the hello, the chosen gateway events while the connection is up, and its close. */
  private async holdUntilClosed(
    outcome: HelloOutcome,
    attempt: number,
    authKind: AuthKind,
    stored: StoredDeviceToken | undefined,
  ): Promise<void> {
    const recordEvents = new Set(this.opts.recordGatewayEvents ?? ['shutdown']);
    const newStored = this.opts.identity.getDeviceToken(this.opts.url, this.role);
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
  }

  /** Records a refused connect and decides what comes next, like a real client. */
  private async afterRefusal(
    outcome: ClosedOutcome,
    attempt: number,
    authKind: AuthKind,
  ): Promise<'fall-back-to-shared-token' | 'paused' | 'retry'> {
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
    const because = outcome.errorCode ?? outcome.reason;
    if (deviceTokenRejected && this.opts.sharedToken) {
      // like the real client: drop the stale token, reconnect with shared auth right away
      this.opts.identity.clearDeviceToken(this.opts.url, this.role);
      await this.opts.identity.save().catch(() => undefined);
      this.record({ type: 'fallback', atMs: Date.now(), attempt, from: 'device-token', to: 'shared-token', because });
      return 'fall-back-to-shared-token';
    }
    if (deviceTokenRejected && this.opts.onDeviceTokenMismatch === 'pause') {
      this.record({ type: 'paused', atMs: Date.now(), attempt, because });
      return 'paused';
    }
    return 'retry';
  }
}
