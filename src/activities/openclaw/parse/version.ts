/**
 * Parser of `openclaw --version`: which release is installed.
 */
import { UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import type { Captured } from './json.js';

/** `openclaw --version`: `OpenClaw 2026.9.6 (eb377ac)` → the version. */
export function parseCliVersion(out: Captured): string {
  const m = /^OpenClaw (\d[0-9A-Za-z.+-]*)(?:\s|$)/m.exec(out.stdout.trim());
  if (!m)
    throw new UnexpectedOutputError(
      'openclaw --version',
      'a line `OpenClaw <version> (<commit>)`',
      quote(out.stdout.trim() || out.stderr.trim() || '(nothing)', 500),
    );
  return m[1]!;
}
