/**
 * The staged install type (src/activities/openclaw/staged.ts) with a stand-in npm that lays out an npm
 * prefix the way `npm i -g --prefix P openclaw@<v>` does (package.json and bin/openclaw, which prints
 * `OpenClaw <v> (...)`): staging goes through a temporary directory and is marked only once the staged
 * CLI answers with its version; staging twice, or after a staging that was cut off, is harmless; a
 * failing npm or a CLI that says another version leaves nothing behind and `current` untouched; the
 * switch is one rename of a symlink, reports where `current` pointed before, and refuses what is not
 * staged. The real npm and a real gateway run it on the bed (test/e2e/05-rollout.test.ts, 04e).
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { prepareRelease } from '../../src/activities/openclaw/prepare.js';
import {
  currentRelease,
  isStaged,
  stageRelease,
  STAGED_MARKER,
  switchRelease,
} from '../../src/activities/openclaw/staged.js';
import { CheckFailedError, ConfigurationError, TransientError } from '../../src/shared/errors.js';
import type { GatewayAccess } from '../../src/shared/inventory.js';

let dir: string;
let root: string;
let npm: string;
const ctx = { timeoutMs: 30_000 };
const access = (): GatewayAccess => ({ cli: [join(root, 'current', 'bin', 'openclaw')], env: { MARK: 'x' } });
const install = () => ({ root, npm: [npm] });
const npmCalls = async () =>
  (await readFile(join(dir, 'npm.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'staged-'));
  root = join(dir, 'opt-openclaw');
  npm = join(dir, 'npm.sh');
  // `npm install -g --prefix P --no-audit --no-fund openclaw@V`: P/lib/node_modules/openclaw/package.json
  // and P/bin/openclaw. A version starting with 9 fails like ETARGET; one ending in .7 installs a CLI
  // that says another version.
  await writeFile(
    npm,
    `#!/bin/sh
echo "$*" >> ${join(dir, 'npm.log')}
p=$4; v=\${7#openclaw@}
case "$v" in 9*) echo "npm error code ETARGET" >&2; exit 1;; esac
mkdir -p "$p/lib/node_modules/openclaw" "$p/bin"
echo "{\\"name\\":\\"openclaw\\",\\"version\\":\\"$v\\"}" > "$p/lib/node_modules/openclaw/package.json"
said=$v; case "$v" in *.7) said=2026.1.1;; esac
printf '#!/bin/sh\\necho "OpenClaw %s (abc1234)"\\n' "$said" > "$p/bin/openclaw"
chmod +x "$p/bin/openclaw"
`,
  );
  await chmod(npm, 0o755);
});

describe('stageRelease', () => {
  it('installs into a temporary sibling, checks the staged CLI, then renames it into versions/ and marks it', async () => {
    const out = await stageRelease(access(), install(), '2026.9.6', ctx);
    expect(out).toMatchObject({ version: '2026.9.6', path: join(root, 'versions', '2026.9.6'), alreadyStaged: false });
    const [call] = await npmCalls();
    expect(call).toMatch(
      new RegExp(
        `^install -g --prefix ${root}/versions/\\.2026\\.9\\.6\\.staging-[0-9a-f]+ --no-audit --no-fund openclaw@2026\\.9\\.6$`,
      ),
    );
    expect(await readdir(join(root, 'versions'))).toEqual(['2026.9.6']);
    expect(await isStaged(root, '2026.9.6')).toBe(true);
    expect(JSON.parse(await readFile(join(out.path, STAGED_MARKER), 'utf8'))).toMatchObject({ version: '2026.9.6' });
    expect(await currentRelease(root)).toBeNull(); // staging never touches current
  });

  it('staging twice is harmless: the second finds it staged and runs nothing', async () => {
    await stageRelease(access(), install(), '2026.9.6', ctx);
    const again = await stageRelease(access(), install(), '2026.9.6', ctx);
    expect(again.alreadyStaged).toBe(true);
    expect(await npmCalls()).toHaveLength(1);
  });

  it('a staging that was cut off (a temporary dir, an unmarked release dir) is cleaned up and done again', async () => {
    await mkdir(join(root, 'versions', '.2026.9.6.staging-dead'), { recursive: true });
    await mkdir(join(root, 'versions', '2026.9.6', 'lib'), { recursive: true }); // no marker: unfinished
    await stageRelease(access(), install(), '2026.9.6', ctx);
    expect(await readdir(join(root, 'versions'))).toEqual(['2026.9.6']);
    expect(await isStaged(root, '2026.9.6')).toBe(true);
  });

  it('a failing npm leaves nothing behind and says what npm said', async () => {
    const err = (await stageRelease(access(), install(), '9.9.9', ctx).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('expected it to stage openclaw 9.9.9');
    expect(err.message).toContain('ETARGET');
    expect(await readdir(join(root, 'versions'))).toEqual([]);
  });

  it('a staged CLI that says another version fails the staging; nothing is kept', async () => {
    const err = (await stageRelease(access(), install(), '2026.9.7', ctx).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.message).toContain('said 2026.1.1, expected 2026.9.7');
    expect(err.message).toContain('Nothing was switched');
    expect(await readdir(join(root, 'versions'))).toEqual([]);
  });
});

describe('switchRelease', () => {
  it('points current at the staged release in one rename and says where it pointed before', async () => {
    await stageRelease(access(), install(), '2026.9.5', ctx);
    await stageRelease(access(), install(), '2026.9.6', ctx);
    expect(await switchRelease(root, '2026.9.5')).toEqual({ from: null, to: '2026.9.5', switched: true });
    expect(await switchRelease(root, '2026.9.6')).toEqual({ from: '2026.9.5', to: '2026.9.6', switched: true });
    expect(await readlink(join(root, 'current'))).toBe('versions/2026.9.6'); // relative: the root may move
    expect((await lstat(join(root, 'current'))).isSymbolicLink()).toBe(true);
    expect(await switchRelease(root, '2026.9.6')).toEqual({ from: '2026.9.6', to: '2026.9.6', switched: false });
    // And back (what a rollback does).
    expect(await switchRelease(root, '2026.9.5')).toMatchObject({ from: '2026.9.6', switched: true });
    expect(await currentRelease(root)).toBe('2026.9.5');
    expect((await readdir(root)).sort()).toEqual(['current', 'versions']); // no temporary link left
  });

  it('refuses a release that is not staged, and a current that is not a symlink', async () => {
    await expect(switchRelease(root, '2026.9.6')).rejects.toThrow(/not staged in .*versions\/2026\.9\.6/);
    await stageRelease(access(), install(), '2026.9.6', ctx);
    await mkdir(join(root, 'current'));
    await expect(switchRelease(root, '2026.9.6')).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('current as a symlink elsewhere names the release it points to', async () => {
    await mkdir(join(root, 'versions', 'x'), { recursive: true });
    await symlink(join(root, 'versions', 'x'), join(root, 'current'));
    expect(await currentRelease(root)).toBe('x');
  });
});

describe('prepareRelease', () => {
  it('staged: stages; source and command: nothing to prepare, and it says so', async () => {
    const staged = await prepareRelease(access(), { type: 'staged', ...install() }, '2026.9.6', ctx);
    expect(staged).toMatchObject({ kind: 'staged', detail: expect.stringContaining('its CLI checked') });
    const source = await prepareRelease(access(), { type: 'source' }, '2026.9.6', ctx);
    expect(source).toMatchObject({ kind: 'nothing', detail: expect.stringContaining('source checkout') });
  });

  it("global: a throwaway install into a temporary prefix (npm's cache), removed afterwards", async () => {
    const out = await prepareRelease(access(), { type: 'global', npm: [npm] }, '2026.9.6', ctx);
    expect(out.kind).toBe('cache-warmed');
    const [call] = await npmCalls();
    const prefix = / --prefix (\S+) /.exec(call!)![1]!;
    expect(prefix).toContain('openclaw-rollout-warm-');
    await expect(lstat(prefix)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a version that is not a version before running anything', async () => {
    await expect(prepareRelease(access(), { type: 'staged', ...install() }, '--registry=x', ctx)).rejects.toThrow(
      /not a version or dist-tag/,
    );
    expect(await npmCalls()).toEqual([]);
  });
});
