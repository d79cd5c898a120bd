/**
 * A gateway's own words when it did not come up: the meaningful end of its stdout log (what supervisord
 * captured), so a failed bed start says why ("Port 47311 is already in use.") instead of only that
 * /readyz never answered. Pure: tested on captured logs (test/fixtures/openclaw/gateway-run.*).
 */
import { redact } from '../../src/activities/host/redact.js';

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})\s+/;
/** Frame lines of the CLI's boxes (│, ◇, ─) carry no words. */
const DECORATION = /^[\s│◇─┌└┐┘╮╯╭╰|]*$/;
/** Where each start of `openclaw gateway run` begins: supervisord restarts it, so the log holds several. */
const ATTEMPT_START = /\[gateway\] loading configuration/;
const FAILURE =
  /fail|error|refus|cannot|can't|unable|invalid|denied|EADDRINUSE|already in use|unavailable|not found|exception|fatal/i;
const MAX_LINE = 400;

/** The lines that say why the gateway's last start failed (or, if none says so, where it got to). */
export function gatewayWords(log: string, maxLines = 8): string[] {
  const lines = log
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.replace(TIMESTAMP, '').trimEnd())
    .filter((l) => !DECORATION.test(l));
  const lastStart = lines.findLastIndex((l) => ATTEMPT_START.test(l));
  const attempt = lastStart >= 0 ? lines.slice(lastStart) : lines;
  const firstFailure = attempt.findIndex((l) => FAILURE.test(l));
  const tail = firstFailure >= 0 ? attempt.slice(firstFailure) : attempt.slice(-maxLines);
  // A start that fails at once repeats the same lines on every restart: keep each once.
  return [...new Set(tail)].slice(0, maxLines).map((l) => redact(l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l));
}
