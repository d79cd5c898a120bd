/**
 * Paths of modules the Temporal SDK loads by file (the workflows to bundle, the failure converter): the
 * same module next to the caller, with the caller's own extension, so they resolve to `.ts` in a checkout
 * (run with tsx) and to the compiled `.js` in dist/ (the installed command).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `relative` (without extension) from the module at `fromUrl` (its import.meta.url), as a file path. */
export function siblingModulePath(fromUrl: string, relative: string): string {
  const ext = extname(fileURLToPath(fromUrl));
  return fileURLToPath(new URL(`${relative}${ext}`, fromUrl));
}
