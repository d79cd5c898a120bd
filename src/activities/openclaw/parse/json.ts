/**
 * The shared pieces of the openclaw CLI parsers: what a parser gets (Captured), JSON read against a
 * schema (UnexpectedOutputError quoting what was seen), and the CLI's error envelope turned into typed errors.
 */
import { z } from 'zod';
import {
  ConfigurationError,
  TransientError,
  UnexpectedOutputError,
  UnsupportedByReleaseError,
} from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';

/** What a parser gets: the command's output as captured. */
export interface Captured {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function parseJson<T>(command: string, out: Captured, schema: z.ZodType<T>, expected: string): T {
  throwIfUsageError(command, out);
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
  throwIfUsageError(command, { ...out, stdout: message });
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

/**
 * How the CLI says the installed release lacks a command or option: commander's `unknown command` /
 * `unknown option`, OpenClaw's `Unknown command: openclaw database` (2026.7.35), `has no command
 * "preflight-agent"` (2026.8.2) and `doctor lint options require --lint` (2026.7.35 on `doctor --json`).
 */
const USAGE_ERROR =
  /Unknown command: openclaw |has no command "|error: unknown (command|option) '|\boptions? requires? --[a-z-]+\b/i;

/** Throws UnsupportedByReleaseError when a call failed because the release does not know it (never retried). */
export function throwIfUsageError(command: string, out: Captured): void {
  if (out.exitCode === 0) return;
  const said = `${out.stdout}\n${out.stderr}`;
  const line = said.split('\n').find((l) => USAGE_ERROR.test(l));
  if (!line) return;
  const group = command.replace(/^openclaw /, '').split(' ')[0];
  throw new UnsupportedByReleaseError(
    `${command}: the installed openclaw release does not have this command or option; it said: ${quote(line.trim(), 300)}. ` +
      `Retrying cannot help. See what this release has with \`openclaw ${group} --help\` and \`openclaw --version\`; ` +
      'update the host to a release that has it, or report the release so the rollout learns its form.',
  );
}
