/**
 * What a jump from one release to another crosses: the releases in between and the database schemas
 * that change (each release's package.json `openclaw.schemaVersions`), and whether a rollback then needs
 * the backup. Pure, for `plan`.
 */
import type { SchemaVersions } from '../parse/npm-view.js';
import { compareReleases, releasesBetween } from './release-order.js';

export type { SchemaVersions };

export interface ReleaseInfo {
  version: string;
  /** null: the release's package.json declares no `openclaw.schemaVersions` (releases before 2026.8 or so). */
  schemaVersions: SchemaVersions | null;
}

export interface SchemaChange {
  /** The database kind as the package names it (`state`, `agent`, ...). */
  schema: string;
  from: number | null;
  to: number | null;
}

export interface ReleaseJump {
  from: string;
  to: string;
  direction: 'upgrade' | 'downgrade' | 'same';
  /** Published stable releases strictly between the two (empty when not known or none). */
  crossed: string[];
  /** Every schema whose version differs (or that only one side declares). */
  schemaChanges: SchemaChange[];
  /**
   * `yes`: a schema changes, so the new release migrates the state (doctor --fix, or its gateway on
   * start) and the old release refuses it afterwards; `no`: both declare the same schemas; `unknown`: a
   * side declares none (treat as yes: take the backup).
   */
  migrations: 'yes' | 'no' | 'unknown';
  /** A rollback after the update needs the backup taken before it (not just the old package). */
  rollbackNeedsBackup: boolean;
  /** One or two sentences for `plan`. */
  summary: string;
}

// The jump

const list = (xs: string[], max = 6) =>
  xs.length <= max ? xs.join(', ') : `${xs.slice(0, max - 1).join(', ')}, …, ${xs.at(-1)!}`;

/**
 * What going from `from` to `to` crosses: the releases in between (from `published`, the registry's
 * version list, when given) and the schemas that change. Pure.
 */
export function releaseJump(from: ReleaseInfo, to: ReleaseInfo, published: string[] = []): ReleaseJump {
  const order = compareReleases(from.version, to.version);
  const direction = order < 0 ? 'upgrade' : order > 0 ? 'downgrade' : from.version === to.version ? 'same' : 'upgrade';
  const crossed = Number.isNaN(order) ? [] : releasesBetween(from.version, to.version, published);
  const schemaChanges: SchemaChange[] = [];
  if (from.schemaVersions && to.schemaVersions) {
    const names = [...new Set([...Object.keys(from.schemaVersions), ...Object.keys(to.schemaVersions)])].sort();
    for (const schema of names) {
      const a = from.schemaVersions[schema] ?? null;
      const b = to.schemaVersions[schema] ?? null;
      if (a !== b) schemaChanges.push({ schema, from: a, to: b });
    }
  }
  const migrations = !from.schemaVersions || !to.schemaVersions ? 'unknown' : schemaChanges.length > 0 ? 'yes' : 'no';
  const rollbackNeedsBackup = migrations !== 'no';
  const parts: string[] = [];
  const path = `${from.version} → ${to.version}`;
  if (direction === 'same') {
    parts.push(`${path}: same release, nothing to migrate.`);
  } else {
    parts.push(
      `${path}${direction === 'downgrade' ? ' (a downgrade)' : ''}` +
        (crossed.length
          ? ` crosses ${crossed.length} release${crossed.length > 1 ? 's' : ''} in between (${list(crossed)})`
          : published.length
            ? ' is one release'
            : '') +
        '.',
    );
    const changes = schemaChanges.map((c) => `${c.schema} schema ${c.from ?? 'none'} → ${c.to ?? 'none'}`).join(', ');
    if (migrations === 'yes' && direction === 'upgrade') {
      parts.push(
        `Migrations will run (${changes}): ${to.version}'s doctor --fix migrates the state, and ${from.version} refuses it afterwards, so a rollback then needs the backup taken before the update.`,
      );
    } else if (migrations === 'yes') {
      parts.push(
        `${to.version} declares older schemas (${changes}): it refuses a state that ${from.version} already migrated; going back needs a backup taken before that migration.`,
      );
    } else if (migrations === 'unknown') {
      const missing = [from, to]
        .filter((r) => !r.schemaVersions)
        .map((r) => r.version)
        .join(' and ');
      parts.push(
        `${missing} declare${missing.includes(' and ') ? '' : 's'} no schema versions: cannot tell whether migrations run; assume they do (a rollback needs the backup taken before the update).`,
      );
    } else {
      parts.push(
        `No schema changes (${
          Object.entries(to.schemaVersions ?? {})
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none declared'
        }): the old release can still open the state.`,
      );
    }
  }
  return {
    from: from.version,
    to: to.version,
    direction,
    crossed,
    schemaChanges,
    migrations,
    rollbackNeedsBackup,
    summary: parts.join(' '),
  };
}
