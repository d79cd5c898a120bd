/**
 * Every runbook command against one gateway, each a thin CLI call (cli.ts) plus its parser (parse/),
 * grouped by what it is about. Plain async functions: the Temporal activity wrappers
 * (activities/index.ts) add the cancellation signal and heartbeats. Exit codes are never trusted
 * alone: the JSON decides. This file gathers them for callers that use them together.
 */
export type { CallContext } from '../call-context.js';
export * from './gateway.js';
export * from './devices.js';
export * from './logs.js';
export * from './checks.js';
export * from './install.js';
export * from './prepare.js';
export { currentRelease, prefixVersion } from './staged.js';
export { canaryBoot, type CanaryResult } from './canary/boot.js';
