/**
 * The shared pieces of the openclaw CLI parsers: what a parser gets (Captured), JSON read against a
 * schema (UnexpectedOutputError quoting what was seen), and the CLI's error envelope turned into typed errors.
 */
import { z } from 'zod';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';

/** What a parser gets: the command's output as captured. */
export interface Captured {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function parseJson<T>(command: string, out: Captured, schema: z.ZodType<T>, expected: string): T {
  const text = out.stdout.trim();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UnexpectedOutputError(command, expected, quote(text || out.stderr || '(nothing)'));
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new UnexpectedOutputError(command, `${expected} (${where})`, quote(text));
  }
  return result.data;
}

/** JSON.stringify that cannot throw: a value it cannot print (nested too deep) gives `fallback`. */
export function stringifySafe(value: unknown, fallback: string): string {
  try {
    return JSON.stringify(value) ?? fallback;
  } catch {
    return fallback;
  }
}

/** The CLI's error envelope, printed on stdout with exit 1: `{"ok":false,"error":{type,message}}`. */
const ErrorEnvelope = z.object({
  ok: z.literal(false),
  error: z.object({ type: z.string(), message: z.string(), kind: z.string().optional() }).loose(),
});

/** Throws the typed error for a CLI error envelope, if `out` holds one. */
export function throwIfErrorEnvelope(command: string, out: Captured, configMessages: RegExp): void {
  let data: unknown;
  try {
    data = JSON.parse(out.stdout.trim());
  } catch {
    return;
  }
  const env = ErrorEnvelope.safeParse(data);
  if (!env.success) return;
  const { type, message } = env.data.error;
  if (type === 'gateway_transport_error') {
    throw new TransientError(
      `${command}: the gateway is not reachable (${quote(message, 300)}). Expected a running gateway; check it with \`openclaw gateway status\`.`,
    );
  }
  if (configMessages.test(message)) {
    throw new ConfigurationError(`${command}: the gateway refused: ${quote(message, 300)}`);
  }
  throw new TransientError(`${command}: the CLI failed (${quote(type, 100)}): ${quote(message, 500)}`);
}
