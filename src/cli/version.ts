/** The package's version (`--version`), read from package.json: two levels up from src/cli/ and from dist/cli/ alike. */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
