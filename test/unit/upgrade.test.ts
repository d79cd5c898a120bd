// The jump between two releases (src/activities/openclaw/upgrade/), on the schema versions the registry
// really answers (test/fixtures/openclaw/npm-view-schema-versions.*, captured with
// `npm view openclaw@<v> openclaw.schemaVersions --json`, npm 11): 2026.8.2 = state 15 / agent 19,
// 2026.9.5 = 17 / 21, 2026.9.6 = 18 / 23; releases before 2026.9.1 declare none.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compareReleases,
  parseNpmViewSchemaVersions,
  parseNpmViewVersions,
  parsePackageSchemaVersions,
  releaseJump,
  releasesBetween,
  type ReleaseInfo,
} from '../../src/activities/openclaw/upgrade/index.js';
import type { Captured } from '../../src/activities/openclaw/parse/index.js';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../src/shared/errors.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8');
const captured = (base: string): Captured => ({
  stdout: fixture(`${base}.json`),
  stderr: existsSync(new URL(`../fixtures/openclaw/${base}.stderr.txt`, import.meta.url))
    ? fixture(`${base}.stderr.txt`)
    : '',
  exitCode: existsSync(new URL(`../fixtures/openclaw/${base}.exitcode`, import.meta.url))
    ? Number(fixture(`${base}.exitcode`).trim())
    : 0,
});
const release = (version: string): ReleaseInfo => ({
  version,
  schemaVersions: parseNpmViewSchemaVersions(captured(`npm-view-schema-versions.${version}`), version),
});

// What `npm view openclaw versions --json` listed on 2026-11-30, from 2026.7.35 on.
const PUBLISHED = [
  '2026.7.35',
  '2026.8.1-beta.1',
  '2026.8.1-beta.2',
  '2026.8.1-beta.3',
  '2026.8.1',
  '2026.8.2',
  '2026.9.1-beta.1',
  '2026.9.1',
  '2026.9.2',
  '2026.9.3',
  '2026.9.4',
  '2026.9.5',
  '2026.9.6',
];

describe('schema versions from the registry', () => {
  it('reads each pinned release as npm prints it', () => {
    expect(release('2026.8.2').schemaVersions).toEqual({ state: 15, agent: 19 });
    expect(release('2026.9.5').schemaVersions).toEqual({ state: 17, agent: 21 });
    expect(release('2026.9.6').schemaVersions).toEqual({ state: 18, agent: 23 });
  });

  it('reads a release that declares none (npm prints nothing, exit 0) as null', () => {
    expect(parseNpmViewSchemaVersions(captured('npm-view-schema-versions.absent'), '2026.7.35')).toBeNull();
  });

  it('refuses a version the registry does not have (E404, exit 1) as a configuration error', () => {
    const out = captured('npm-view-schema-versions.unknown-version');
    expect(out.exitCode).toBe(1);
    expect(() => parseNpmViewSchemaVersions(out, '1999.1.1')).toThrow(ConfigurationError);
    expect(() => parseNpmViewSchemaVersions(out, '1999.1.1')).toThrow(/openclaw@1999\.1\.1 is not in the registry/);
  });

  it('treats another npm failure as transient and garbage as unexpected', () => {
    expect(() =>
      parseNpmViewSchemaVersions(
        { stdout: '{"error":{"code":"ECONNREFUSED","summary":"request failed"}}', stderr: '', exitCode: 1 },
        '2026.9.6',
      ),
    ).toThrow(TransientError);
    expect(() =>
      parseNpmViewSchemaVersions({ stdout: '', stderr: 'npm error network', exitCode: 1 }, '2026.9.6'),
    ).toThrow(TransientError);
    expect(() => parseNpmViewSchemaVersions({ stdout: '{"state":"18"}', stderr: '', exitCode: 0 }, '2026.9.6')).toThrow(
      UnexpectedOutputError,
    );
    expect(() => parseNpmViewSchemaVersions({ stdout: 'not json', stderr: '', exitCode: 0 }, '2026.9.6')).toThrow(
      UnexpectedOutputError,
    );
  });

  it('reads an installed package.json the same way', () => {
    const pkg = JSON.stringify({
      name: 'openclaw',
      version: '2026.9.6',
      openclaw: { schemaVersions: { state: 18, agent: 23 } },
    });
    expect(parsePackageSchemaVersions(pkg, 'package.json')).toEqual({ state: 18, agent: 23 });
    expect(parsePackageSchemaVersions(JSON.stringify({ name: 'openclaw' }), 'package.json')).toBeNull();
  });

  it('reads the published version list, also when npm prints a single string', () => {
    expect(parseNpmViewVersions({ stdout: JSON.stringify(PUBLISHED), stderr: '', exitCode: 0 })).toHaveLength(
      PUBLISHED.length,
    );
    expect(parseNpmViewVersions({ stdout: '"2026.9.6"', stderr: '', exitCode: 0 })).toEqual(['2026.9.6']);
  });
});

describe('release order', () => {
  it('orders numerically, a prerelease before its release', () => {
    expect(compareReleases('2026.9.10', '2026.9.6')).toBe(1);
    expect(compareReleases('2026.8.2', '2026.9.6')).toBe(-1);
    expect(compareReleases('2026.9.1-beta.1', '2026.9.1')).toBe(-1);
    expect(compareReleases('2026.9.1-beta.2', '2026.9.1-beta.10')).toBe(-1);
    expect(compareReleases('2026.9.6', '2026.9.6')).toBe(0);
    expect(compareReleases('latest', '2026.9.6')).toBeNaN();
  });

  it('lists the stable releases strictly between, oldest first', () => {
    expect(releasesBetween('2026.8.2', '2026.9.6', PUBLISHED)).toEqual([
      '2026.9.1',
      '2026.9.2',
      '2026.9.3',
      '2026.9.4',
      '2026.9.5',
    ]);
    expect(releasesBetween('2026.9.5', '2026.9.6', PUBLISHED)).toEqual([]);
    expect(releasesBetween('2026.9.6', '2026.8.2', PUBLISHED)).toHaveLength(5);
  });
});

describe('releaseJump', () => {
  it('the jump 2026.8.2 → 2026.9.6: five releases crossed, both schemas migrate, a rollback needs the backup', () => {
    const j = releaseJump(release('2026.8.2'), release('2026.9.6'), PUBLISHED);
    expect(j.direction).toBe('upgrade');
    expect(j.crossed).toEqual(['2026.9.1', '2026.9.2', '2026.9.3', '2026.9.4', '2026.9.5']);
    expect(j.schemaChanges).toEqual([
      { schema: 'agent', from: 19, to: 23 },
      { schema: 'state', from: 15, to: 18 },
    ]);
    expect(j.migrations).toBe('yes');
    expect(j.rollbackNeedsBackup).toBe(true);
    expect(j.summary).toContain('crosses 5 releases in between (2026.9.1, 2026.9.2, 2026.9.3, 2026.9.4, 2026.9.5)');
    expect(j.summary).toContain('Migrations will run (agent schema 19 → 23, state schema 15 → 18)');
    expect(j.summary).toContain('a rollback then needs the backup');
  });

  it('one release 2026.9.5 → 2026.9.6 still migrates (17 → 18, 21 → 23)', () => {
    const j = releaseJump(release('2026.9.5'), release('2026.9.6'), PUBLISHED);
    expect(j.crossed).toEqual([]);
    expect(j.summary).toMatch(/^2026\.9\.5 → 2026\.9\.6 is one release\. Migrations will run/);
    expect(j.schemaChanges.map((c) => `${c.schema} ${c.from}→${c.to}`)).toEqual(['agent 21→23', 'state 17→18']);
  });

  it('same schemas: no migration, the old release still opens the state', () => {
    const j = releaseJump(
      { version: '2026.9.1', schemaVersions: { state: 15, agent: 19 } },
      release('2026.8.2'),
      PUBLISHED,
    );
    expect(j.direction).toBe('downgrade');
    expect(j.migrations).toBe('no');
    expect(j.rollbackNeedsBackup).toBe(false);
  });

  it('a release that declares none: unknown, and the backup is still needed', () => {
    const j = releaseJump({ version: '2026.7.35', schemaVersions: null }, release('2026.9.6'), PUBLISHED);
    expect(j.migrations).toBe('unknown');
    expect(j.rollbackNeedsBackup).toBe(true);
    expect(j.summary).toContain('2026.7.35 declares no schema versions');
  });

  it('a downgrade across a migration says the target refuses a migrated state', () => {
    const j = releaseJump(release('2026.9.6'), release('2026.9.5'), PUBLISHED);
    expect(j.direction).toBe('downgrade');
    expect(j.summary).toContain('2026.9.5 declares older schemas');
  });

  it('the same release: nothing to do', () => {
    expect(releaseJump(release('2026.9.6'), release('2026.9.6'), PUBLISHED).summary).toBe(
      '2026.9.6 → 2026.9.6: same release, nothing to migrate.',
    );
  });
});
