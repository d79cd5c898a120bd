/**
 * What one connect attempt ends in (hello, closed, or timeout), and how each outcome is read off
 * the gateway's hello-ok, its connect error and the WebSocket close.
 */
import { tokenFingerprint } from './device-identity.js';
import type { AuthKind } from './connect-request.js';
import type { GatewayErrorShape, HelloOk } from './frames.js';
import type { GatewaySocket } from './gateway-socket.js';

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

export function helloOutcome(url: string, authUsed: AuthKind, hello: HelloOk, socket: GatewaySocket): HelloOutcome {
  const deviceToken = hello.auth?.deviceToken;
  return {
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
    socket,
  };
}

/** The handshake's state when it ended without a hello. */
export interface HandshakeFailure {
  url: string;
  authUsed: AuthKind;
  phase: TimeoutOutcome['phase'];
  /** the connect response's error, if the gateway refused */
  connectError: GatewayErrorShape | undefined;
  transportError: string | undefined;
}

export function closedOutcome(
  f: HandshakeFailure,
  close: { code: number; reason: string; wasClean: boolean },
): ClosedOutcome {
  const { connectError, phase } = f;
  const details = connectError?.details;
  const requestId = typeof details?.requestId === 'string' ? details.requestId : undefined;
  return {
    kind: 'closed',
    url: f.url,
    authUsed: f.authUsed,
    code: close.code,
    reason: close.reason,
    wasClean: close.wasClean,
    phase:
      connectError || phase === 'waiting-hello'
        ? 'after-connect'
        : phase === 'waiting-challenge'
          ? 'after-challenge'
          : 'before-challenge',
    ...(typeof details?.code === 'string' ? { errorCode: details.code } : {}),
    ...(connectError ? { gatewayErrorCode: connectError.code, errorMessage: connectError.message } : {}),
    ...(details ? { details } : {}),
    ...(requestId ? { requestId } : {}),
    ...(connectError?.retryable !== undefined ? { retryable: connectError.retryable } : {}),
    ...(typeof connectError?.retryAfterMs === 'number' ? { retryAfterMs: connectError.retryAfterMs } : {}),
    ...(f.transportError ? { transportError: f.transportError } : {}),
  };
}

export function timeoutOutcome(f: HandshakeFailure, timeoutMs: number): TimeoutOutcome {
  const { connectError } = f;
  const details = connectError?.details;
  return {
    kind: 'timeout',
    url: f.url,
    authUsed: f.authUsed,
    phase: f.phase,
    timeoutMs,
    ...(connectError ? { errorMessage: connectError.message } : {}),
    ...(typeof details?.code === 'string' ? { errorCode: details.code } : {}),
    ...(details ? { details } : {}),
  };
}
