/**
 * One pure parser per openclaw CLI command (one file each, gathered here), each tested on real captured output (test/fixtures/openclaw).
 * A parser either returns a typed value or throws: UnexpectedOutputError (quoting what was seen, tokens
 * redacted) when the output is not what the pinned CLI prints, ConfigurationError when the CLI says the
 * request itself is wrong (unknown device, unknown request), TransientError when the gateway could not
 * be reached. Never a guess: exit codes are not trusted (several say 0 when the gateway is down).
 */
export type { Captured } from './json.js';
export * from './gateway.js';
export * from './devices.js';
export * from './channels.js';
export * from './doctor.js';
export * from './doctor-fix.js';
export * from './update.js';
export * from './logs.js';
export * from './backup.js';
export * from './database-preflight.js';
export * from './version.js';
export * from './npm-view.js';
export * from './help.js';
export * from './gateway-run.js';
