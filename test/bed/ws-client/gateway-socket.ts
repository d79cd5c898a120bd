/**
 * An open, authenticated gateway connection (after hello-ok): its event frames, RPC requests over
 * it, and its close.
 */
import { randomUUID } from 'node:crypto';
import {
  isRecord,
  type GatewayErrorShape,
  type GatewayEventFrame,
  type GatewayResponseFrame,
  type HelloOk,
} from './frames.js';

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
      if (this.events.length > GatewaySocket.maxEvents)
        this.events.splice(0, this.events.length - GatewaySocket.maxEvents);
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
      setTimeout(
        () => resolve({ code: 1006, reason: 'close timeout', wasClean: false, atMs: Date.now() }),
        timeoutMs,
      ).unref(),
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
