/**
 * Parsers of `npm view` answers about openclaw releases: `version engines --json` (is the target
 * published, which Node it needs), `openclaw.schemaVersions --json` (the database schemas a release
 * declares) and `versions --json` (what is published); and a package.json's `openclaw.schemaVersions`.
 */
import { z } from 'zod';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import { parseJson, type Captured } from './json.js';

/** A release's `openclaw.schemaVersions` (e.g. `{ state: 18, agent: 23 }`); null when it declares none. */
export type SchemaVersions = Record<string, number>;

/** What `npm view openclaw@<v> version engines --json` answered: the version and its engines.node, or not found. */
export type NpmView = { found: true; version: string; enginesNode: string | null } | { found: false };

const NpmViewEntry = z
  .object({ version: z.string(), engines: z.object({ node: z.string().optional() }).passthrough().optional() })
  .passthrough();

/**
 * Parses `npm view <pkg>@<v> version engines --json` after exit 0: one object, an array of them (a range
 * matching several versions: the newest, last), or nothing at all (older npm: no such version).
 * A failed view (exit != 0) is not parsed here: its npm error code speaks (host/npm-errors.ts).
 */
export function parseNpmView(out: Captured): NpmView {
  const text = out.stdout.trim();
  if (!text) return { found: false };
  const data = parseJson(
    'npm view --json',
    out,
    z.union([NpmViewEntry, z.array(NpmViewEntry), z.string()]),
    'the version and engines as JSON',
  );
  const entry = Array.isArray(data) ? data.at(-1) : typeof data === 'string' ? { version: data } : data;
  if (!entry) return { found: false };
  return {
    found: true,
    version: entry.version,
    enginesNode: 'engines' in entry ? (entry.engines?.node ?? null) : null,
  };
}

const SchemaVersionsJson = z.record(z.string(), z.number().int().nonnegative());
const NpmErrorJson = z
  .object({
    error: z
      .object({ code: z.string().optional(), summary: z.string().optional(), detail: z.string().optional() })
      .loose(),
  })
  .loose();

/** A package.json's `openclaw.schemaVersions` (null when absent). Throws UnexpectedOutputError when malformed. */
export function parsePackageSchemaVersions(packageJson: string, where: string): SchemaVersions | null {
  let pkg: unknown;
  try {
    pkg = JSON.parse(packageJson);
  } catch {
    throw new UnexpectedOutputError(where, 'a package.json', quote(packageJson, 300));
  }
  const raw = (pkg as { openclaw?: { schemaVersions?: unknown } } | null)?.openclaw?.schemaVersions;
  if (raw === undefined) return null;
  const r = SchemaVersionsJson.safeParse(raw);
  if (!r.success)
    throw new UnexpectedOutputError(
      where,
      'openclaw.schemaVersions as { name: integer }',
      quote(JSON.stringify(raw), 300),
    );
  return r.data;
}

/**
 * `npm view openclaw@<version> openclaw.schemaVersions --json`: exit 0 with `{"state":18,"agent":23}`;
 * exit 0 with nothing when the release declares none (→ null); exit 1 with `{"error":{"code":"E404",...}}`
 * when no such release exists (→ ConfigurationError); anything else → TransientError (registry down) or
 * UnexpectedOutputError.
 */
export function parseNpmViewSchemaVersions(out: Captured, version: string): SchemaVersions | null {
  const command = `npm view openclaw@${version} openclaw.schemaVersions --json`;
  const text = out.stdout.trim();
  let data: unknown;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new UnexpectedOutputError(command, 'a JSON object of schema versions', quote(text, 300));
    }
  }
  const err = NpmErrorJson.safeParse(data);
  if (err.success) {
    if (err.data.error.code === 'E404') {
      throw new ConfigurationError(
        `openclaw@${version} is not in the registry (${command}: ${quote(err.data.error.summary ?? 'E404', 200)}). Check the target version (\`npm view openclaw versions\`).`,
      );
    }
    throw new TransientError(
      `${command} failed (${quote(err.data.error.code ?? 'error', 50)}): ${quote(err.data.error.summary ?? '', 300)}. Is the registry reachable from this host?`,
    );
  }
  if (out.exitCode !== 0) {
    throw new TransientError(
      `${command} exited with code ${out.exitCode}: ${quote(out.stderr || out.stdout || '(nothing)', 500)}. Is the registry reachable from this host?`,
    );
  }
  if (data === undefined) return null;
  const r = SchemaVersionsJson.safeParse(data);
  if (!r.success)
    throw new UnexpectedOutputError(command, 'a JSON object of schema versions ({ name: integer })', quote(text, 300));
  return r.data;
}

/** `npm view openclaw versions --json`: the published versions (a one-element answer is a bare string). */
export function parseNpmViewVersions(out: Captured): string[] {
  const command = 'npm view openclaw versions --json';
  let data: unknown;
  try {
    data = JSON.parse(out.stdout.trim());
  } catch {
    throw new TransientError(
      `${command} exited with code ${out.exitCode} and printed no JSON: ${quote(out.stderr || out.stdout || '(nothing)', 500)}`,
    );
  }
  if (typeof data === 'string') return [data];
  const r = z.array(z.string()).safeParse(data);
  if (!r.success) throw new UnexpectedOutputError(command, 'a JSON list of versions', quote(out.stdout, 300));
  return r.data;
}
