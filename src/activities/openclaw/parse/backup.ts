/**
 * Parsers of `openclaw backup create --json`, `openclaw backup restore --json` and the manifest.json of
 * an extracted archive.
 */
import { z } from 'zod';
import { UnexpectedOutputError } from '../../../shared/errors.js';
import { quote } from '../../host/redact.js';
import { parseJson, throwIfErrorEnvelope, type Captured } from './json.js';

const BackupAssetJson = z.object({ kind: z.string(), sourcePath: z.string(), archivePath: z.string() }).loose();

const BackupCreateJson = z
  .object({
    createdAt: z.string(),
    archiveRoot: z.string().min(1),
    archivePath: z.string().min(1),
    dryRun: z.boolean(),
    verified: z.boolean().default(false),
    assets: z.array(BackupAssetJson),
    skipped: z.array(z.object({ kind: z.string(), sourcePath: z.string(), reason: z.string() }).loose()).default([]),
    warnings: z.array(z.unknown()).default([]),
  })
  .loose();

export interface BackupCreateResult {
  archivePath: string;
  archiveRoot: string;
  createdAt: string;
  dryRun: boolean;
  /** `--verify` ran and passed (false for a dry run or without --verify). */
  verified: boolean;
  assets: { kind: string; sourcePath: string; archivePath: string }[];
  /** The state dir it backs up (the `state` asset), when it has one. */
  stateDir?: string;
  /** The config file it backs up (the `config` asset), when it is its own asset (outside the state dir). */
  configPath?: string;
  skipped: { kind: string; sourcePath: string; reason: string }[];
}

/**
 * `backup create --json`. Refusals (output inside a source path, an archive that exists) are the CLI's
 * error envelope on stdout with exit 1: ConfigurationError (the path must change). An empty stdout (an
 * older release once wrote nothing and exited 0) is UnexpectedOutputError.
 */
export function parseBackupCreate(out: Captured, opts: { dryRun?: boolean } = {}): BackupCreateResult {
  throwIfErrorEnvelope('openclaw backup create', out, /inside a source path|Refusing to overwrite/i);
  const j = parseJson(
    'openclaw backup create --json',
    out,
    BackupCreateJson,
    'a JSON object with archivePath, archiveRoot and assets',
  );
  if (j.dryRun !== !!opts.dryRun) {
    throw new UnexpectedOutputError(
      'openclaw backup create --json',
      `dryRun: ${!!opts.dryRun}`,
      quote(out.stdout, 500),
    );
  }
  const asset = (kind: string) => j.assets.find((a) => a.kind === kind)?.sourcePath;
  const stateDir = asset('state');
  const configPath = asset('config');
  return {
    archivePath: j.archivePath,
    archiveRoot: j.archiveRoot,
    createdAt: j.createdAt,
    dryRun: j.dryRun,
    verified: j.verified,
    assets: j.assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: a.archivePath })),
    ...(stateDir ? { stateDir } : {}),
    ...(configPath ? { configPath } : {}),
    skipped: j.skipped.map((s) => ({ kind: s.kind, sourcePath: s.sourcePath, reason: s.reason })),
  };
}

const BackupManifestJson = z
  .object({
    schemaVersion: z.literal(1),
    archiveRoot: z.string().min(1),
    runtimeVersion: z.string().optional(),
    createdAt: z.string().optional(),
    paths: z.object({ stateDir: z.string().optional(), configPath: z.string().optional() }).loose().default({}),
    assets: z.array(BackupAssetJson),
  })
  .loose();

export interface BackupManifest {
  archiveRoot: string;
  runtimeVersion: string | null;
  stateDir: string | null;
  configPath: string | null;
  assets: { kind: string; sourcePath: string; archivePath: string }[];
}

/** The archive's schema-version-1 manifest (the docs: the source of truth for where each asset goes back). */
export function parseBackupManifest(text: string): BackupManifest {
  const m = parseJson(
    'backup manifest.json',
    { stdout: text, stderr: '', exitCode: 0 },
    BackupManifestJson,
    'a schema-version-1 backup manifest with archiveRoot and assets',
  );
  for (const a of m.assets) {
    if (
      !a.archivePath.startsWith(`${m.archiveRoot}/`) ||
      a.archivePath.split('/').includes('..') ||
      !a.sourcePath.startsWith('/')
    ) {
      // The archive root is output too: quoted (and so redacted) like the rest, never spliced in raw.
      throw new UnexpectedOutputError(
        'backup manifest.json',
        `assets inside the archive root ${quote(m.archiveRoot, 200)}/ with absolute source paths`,
        quote(JSON.stringify(a), 500),
      );
    }
  }
  return {
    archiveRoot: m.archiveRoot,
    runtimeVersion: m.runtimeVersion ?? null,
    stateDir: m.paths.stateDir ?? null,
    configPath: m.paths.configPath ?? null,
    assets: m.assets.map((a) => ({ kind: a.kind, sourcePath: a.sourcePath, archivePath: a.archivePath })),
  };
}

const BackupRestoreJson = z
  .object({
    ok: z.literal(true),
    archivePath: z.string(),
    archiveRoot: z.string().min(1),
    targetPath: z.string().min(1),
    runtimeVersion: z.string().optional(),
    assetCount: z.number().int().nonnegative(),
    warnings: z.array(z.string()).default([]),
  })
  .loose();

export interface BackupRestoreResult {
  archivePath: string;
  archiveRoot: string;
  /** The fresh directory it extracted into; the assets are under `<targetPath>/<archiveRoot>/payload/...`. */
  targetPath: string;
  /** The release that made the archive. */
  runtimeVersion: string | null;
  assetCount: number;
  warnings: string[];
}

/**
 * `backup restore --json`. A missing or unverifiable archive and a non-empty target are the CLI's error
 * envelope (exit 1): ConfigurationError, since retrying the same call cannot help.
 */
export function parseBackupRestore(out: Captured): BackupRestoreResult {
  throwIfErrorEnvelope(
    'openclaw backup restore',
    out,
    /verification failed|does not exist|must be empty|inside the live|not a directory/i,
  );
  const j = parseJson(
    'openclaw backup restore --json',
    out,
    BackupRestoreJson,
    'a JSON object with ok: true, archiveRoot and targetPath',
  );
  return {
    archivePath: j.archivePath,
    archiveRoot: j.archiveRoot,
    targetPath: j.targetPath,
    runtimeVersion: j.runtimeVersion ?? null,
    assetCount: j.assetCount,
    warnings: j.warnings,
  };
}
