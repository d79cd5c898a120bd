/**
 * One connection attempt to a gateway: open the WebSocket, answer the challenge with a signed
 * `connect`, and end in hello (socket left open), closed or timeout. Never hangs.
 */
import { randomUUID } from 'node:crypto';
import {
  closedOutcome,
  helloOutcome,
  timeoutOutcome,
  type ConnectOutcome,
  type HandshakeFailure,
  type HelloOutcome,
} from './connect-outcome.js';
import {
  connectParams,
  connectSettings,
  resolveAuth,
  type ConnectOptions,
  type ConnectSettings,
  type ResolvedAuth,
} from './connect-request.js';
import { isRecord, parseFrame, type GatewayErrorShape, type GatewayResponseFrame, type HelloOk } from './frames.js';
import { GatewaySocket, type CloseInfo } from './gateway-socket.js';

/**
 * One connection attempt. Resolves (never rejects for protocol/transport failures, never hangs)
 * with hello (socket left open: close it via outcome.socket.close()), closed, or timeout.
 * Rejects only for caller errors (e.g. auth 'stored' without a stored token).
 */
export async function connectOnce(opts: ConnectOptions): Promise<ConnectOutcome> {
  const settings = connectSettings(opts);
  const resolved = resolveAuth(opts, settings.role);
  return new Promise<ConnectOutcome>((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(opts.url);
    } catch (err) {
      resolve({
        kind: 'closed',
        url: opts.url,
        authUsed: resolved.authUsed,
        code: 1006,
        reason: '',
        wasClean: false,
        phase: 'before-challenge',
        transportError: String(err),
      });
      return;
    }
    new Handshake(ws, opts, settings, resolved, resolve);
  });
}

/** The client side of the handshake on one WebSocket, from open to its outcome. */
class Handshake {
  private phase: HandshakeFailure['phase'] = 'connecting';
  private connectError: GatewayErrorShape | undefined;
  private transportError: string | undefined;
  /** the connection once hello-ok arrived: later frames and the close are its business */
  private live: GatewaySocket | undefined;
  private settled = false;
  private readonly connectReqId = randomUUID();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: ConnectOptions,
    private readonly settings: ConnectSettings,
    private readonly resolved: ResolvedAuth,
    private readonly resolve: (o: ConnectOutcome) => void,
  ) {
    this.timer = setTimeout(() => this.onTimeout(), settings.timeoutMs);
    ws.addEventListener('open', () => {
      if (this.phase === 'connecting') this.phase = 'waiting-challenge';
    });
    ws.addEventListener('error', (ev) => {
      const e = ev as Event & { message?: string; error?: unknown };
      this.transportError = e.message ?? (e.error instanceof Error ? e.error.message : 'websocket error');
    });
    ws.addEventListener('message', (ev: MessageEvent) => this.onFrame(parseFrame(ev.data)));
    ws.addEventListener('close', (ev: CloseEvent) => this.onClose(ev));
  }

  private settle(o: ConnectOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(o);
  }

  private failure(): HandshakeFailure {
    return {
      url: this.opts.url,
      authUsed: this.resolved.authUsed,
      phase: this.phase,
      connectError: this.connectError,
      transportError: this.transportError,
    };
  }

  private onTimeout(): void {
    this.settle(timeoutOutcome(this.failure(), this.settings.timeoutMs));
    try {
      this.ws.close(1000, 'test client timeout');
    } catch {
      /* ignore */
    }
  }

  private onFrame(frame: unknown): void {
    if (this.live) {
      this.live._handleFrame(frame);
      return;
    }
    if (!isRecord(frame)) return;
    if (frame.type === 'event' && frame.event === 'connect.challenge' && this.phase !== 'waiting-hello') {
      const params = connectParams(this.opts, this.settings, this.resolved, frame.payload);
      this.phase = 'waiting-hello';
      this.ws.send(JSON.stringify({ type: 'req', id: this.connectReqId, method: 'connect', params }));
      return;
    }
    if (frame.type === 'res' && frame.id === this.connectReqId)
      this.onConnectResponse(frame as unknown as GatewayResponseFrame);
  }

  private onConnectResponse(res: GatewayResponseFrame): void {
    if (!res.ok) {
      this.connectError = res.error ?? { code: 'UNKNOWN', message: 'connect failed' };
      this.phase = 'waiting-close';
      return;
    }
    const hello = res.payload as HelloOk;
    this.live = new GatewaySocket(this.ws, hello);
    const outcome = helloOutcome(this.opts.url, this.resolved.authUsed, hello, this.live);
    if (outcome.deviceToken && this.opts.storeDeviceToken !== false) {
      this.storeDeviceToken(outcome, hello);
      this.opts.identity.save().then(
        () => this.settle(outcome),
        () => this.settle(outcome),
      );
      return;
    }
    this.settle(outcome);
  }

  /** Remembers the device token hello-ok issued in the identity (for this gateway and role). */
  private storeDeviceToken(outcome: HelloOutcome, hello: HelloOk): void {
    this.opts.identity.setDeviceToken(this.opts.url, {
      token: outcome.deviceToken!,
      role: hello.auth?.role ?? this.settings.role,
      scopes: hello.auth?.scopes ?? this.settings.scopes,
      ...(hello.auth?.issuedAtMs !== undefined ? { issuedAtMs: hello.auth.issuedAtMs } : {}),
      storedAtMs: Date.now(),
      ...(hello.server.bootId ? { bootId: hello.server.bootId } : {}),
    });
  }

  private onClose(ev: CloseEvent): void {
    const info: CloseInfo = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, atMs: Date.now() };
    if (this.live) {
      this.live._handleClose(info);
      return;
    }
    this.settle(closedOutcome(this.failure(), ev));
  }
}
