/**
 * Upgrades that may skip releases: what a jump from one release to another crosses (the releases in
 * between, and the database schemas that change, from each release's package.json
 * `openclaw.schemaVersions`), read from the registry through the instance's own npm, and the new
 * release's `openclaw doctor --fix --non-interactive` that applies the migrations doctor asks for
 * (run with the gateway stopped, as the package's docs/install/updating/update-methods.md says for a
 * manual npm update: stop, install, `openclaw doctor --fix`, start, verify).
 *
 * The pure functions (releaseJump, compareReleases, parseNpmView*) are for `plan`; the I/O ones take a
 * CallContext. The Temporal wrappers are in upgrade-activities.ts. This file gathers them.
 */
export * from './release-order.js';
export * from './release-jump.js';
export * from './registry.js';
export * from './doctor-fix.js';
export { parsePackageSchemaVersions, parseNpmViewSchemaVersions, parseNpmViewVersions } from '../parse/npm-view.js';
