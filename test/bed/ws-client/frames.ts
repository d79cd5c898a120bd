/** The JSON frames of the gateway WebSocket protocol v4 (see protocol.md) and how to read one. */

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

export interface GatewayResponseFrame {
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

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one WebSocket message as a JSON frame; undefined if it is not JSON. */
export function parseFrame(data: unknown): unknown {
  try {
    return JSON.parse(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return undefined;
  }
}
