/** What a HeldConnection records: one HeldEvent per connect, hello, close, fallback, gateway event. */
import type { AuthKind } from './connect-request.js';

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
