/**
 * The preflight checks that need a host (issue 20), as plain functions (activities/index.ts wraps them):
 * the target release exists for the instance's install type and accepts its Node (target-exists,
 * node-engine), its commands and hooks exist and are executable (host-commands), there is disk room
 * for the install and the backup (disk-space), routing is sticky per client device (sticky-routing),
 * and which openclaw version is installed (installedVersion). Read-only: nothing here changes anything.
 * One file per check; this file gathers them.
 */
export * from './target.js';
export * from './installed-version.js';
export * from './host-commands.js';
export * from './disk-space.js';
export * from './routing.js';
