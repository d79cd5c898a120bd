/**
 * Parsers of what is installed and what the registry has: `openclaw --version` and `npm view <pkg>@<v>
 * version engines --json`.
 */
import { z } from 'zod';
import { UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import { parseJson, type Captured } from './json.js';

/** `openclaw --version`: `OpenClaw 2026.9.6 (eb377ac)` → the version. */
export function parseCliVersion(out: Captured): string {
  const m = /^OpenClaw (\d[0-9A-Za-z.+-]*)(?:\s|$)/m.exec(out.stdout.trim());
  if (!m) throw new UnexpectedOutputError('openclaw --version', 'a line `OpenClaw <version> (<commit>)`', quote(out.stdout.trim() || out.stderr.trim() || '(nothing)', 500));
  return m[1]!;
}

/** What `npm view openclaw@<v> version engines --json` answered: the version and its engines.node, or not found. */
export type NpmView = { found: true; version: string; enginesNode: string | null } | { found: false };

const NpmViewEntry = z.object({ version: z.string(), engines: z.object({ node: z.string().optional() }).passthrough().optional() }).passthrough();

/**
 * Parses `npm view <pkg>@<v> version engines --json` after exit 0: one object, an array of them (a range
 * matching several versions: the newest, last), or nothing at all (older npm: no such version).
 * A failed view (exit != 0) is not parsed here: its npm error code speaks (npm-errors.ts).
 */
export function parseNpmView(out: Captured): NpmView {
  const text = out.stdout.trim();
  if (!text) return { found: false };
  const data = parseJson('npm view --json', out, z.union([NpmViewEntry, z.array(NpmViewEntry), z.string()]), 'the version and engines as JSON');
  const entry = Array.isArray(data) ? data.at(-1) : typeof data === 'string' ? { version: data } : data;
  if (!entry) return { found: false };
  return { found: true, version: entry.version, enginesNode: 'engines' in entry ? (entry.engines?.node ?? null) : null };
}
