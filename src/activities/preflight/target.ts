/**
 * target-exists and node-engine: the target release exists for the instance's install type, and its
 * engines.node accepts the Node that runs the instance's CLI.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigurationError } from '../../shared/errors.js';
import type { Instance } from '../../shared/inventory.js';
import type { CheckResult } from '../../shared/preflight-rules.js';
import { quote } from '../host/redact.js';
import { childEnvironment } from '../host/child-env.js';
import { npmErrorSentence, outputTail } from '../host/npm-errors.js';
import type { CallContext } from '../call-context.js';
import { cliEnvironment, runCli } from '../openclaw/cli.js';
import * as parse from '../openclaw/parse/index.js';
import { isStaged, stagedPaths } from '../openclaw/staged.js';
import { satisfiesRange } from './node-range.js';
import { capture } from './capture.js';
import { which } from './host-commands.js';

// The target release

/**
 * target-exists and node-engine for one instance: a global install asks the registry through the
 * instance's own npm and environment (`npm view openclaw@<v> version engines --json`, so its registry
 * and auth settings apply; a staged install that holds the target already asks nothing) and compares engines.node with the Node that runs its CLI; a source checkout
 * asks `openclaw update --dry-run --json --tag <v>`; a `command` install has nothing to ask up front.
 */
export async function checkTarget(instance: Instance, version: string, ctx: CallContext): Promise<CheckResult[]> {
  const install = instance.install;
  if (install.type === 'command') return commandInstallChecks(install.command, version);
  if (install.type === 'source') return sourceInstallChecks(instance, install.tag ?? version, ctx);
  if (install.type === 'staged' && (await isStaged(install.root, version)))
    return stagedReleaseChecks(instance, install.root, version, ctx);
  const npm = [...install.npm, 'view', `openclaw@${version}`, 'version', 'engines', '--json'];
  const r = await capture(npm, instance.gateway.env, ctx);
  const viewed = r.exitCode === 0 ? parse.parseNpmView(r) : { found: false as const };
  if (!viewed.found) {
    const sentence =
      r.exitCode === 0
        ? `npm view printed nothing: the registry has no version ${version} of openclaw.`
        : (npmErrorSentence(r.stderr, r.stdout, { pkg: 'openclaw', version }) ??
          `npm view exited with code ${r.exitCode}.`);
    return [
      {
        check: 'target-exists',
        status: 'failed',
        found: `openclaw ${version} is not available to ${instance.id}'s npm. \`${r.command}\` answered: ${sentence}\n${outputTail(r.stderr, '', 6, 600)}`,
        fix: `choose a published version (\`${install.npm.join(' ')} view openclaw versions\` lists them) or fix the registry settings of ${instance.id}'s npm (gateway.env, its .npmrc).`,
      },
      { check: 'node-engine', status: 'skipped', found: `no release ${version} to read engines.node from.` },
    ];
  }
  const exists: CheckResult = {
    check: 'target-exists',
    status: 'ok',
    found: `the registry has openclaw ${viewed.version} (asked with ${instance.id}'s npm)`,
  };
  return [exists, await nodeEngineCheck(instance, viewed.version, viewed.enginesNode, ctx)];
}

/**
 * A staged install that holds the target already (an earlier rollout or `stage` staged it): the rollout
 * switches to it without npm, so the registry is not asked (a host without registry access passes);
 * engines.node is read from the staged package.
 */
async function stagedReleaseChecks(
  instance: Instance,
  root: string,
  version: string,
  ctx: CallContext,
): Promise<CheckResult[]> {
  const dir = stagedPaths(root).release(version);
  const pkg = JSON.parse(await readFile(join(dir, 'lib', 'node_modules', 'openclaw', 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  return [
    { check: 'target-exists', status: 'ok', found: `openclaw ${version} is staged already in ${dir} (no download)` },
    await nodeEngineCheck(instance, version, pkg.engines?.node ?? null, ctx),
  ];
}

/** install.type command: the command decides where the release comes from; nothing to ask before it runs. */
function commandInstallChecks(command: string[], version: string): CheckResult[] {
  return [
    {
      check: 'target-exists',
      status: 'skipped',
      found: `install.type command: \`${command.join(' ')}\` decides where ${version} comes from; there is nothing to ask before it runs.`,
    },
    {
      check: 'node-engine',
      status: 'skipped',
      found: 'install.type command: the release it installs is not known up front.',
    },
  ];
}

/** A source checkout: `openclaw update --dry-run` says whether it can update to `tag`. */
async function sourceInstallChecks(instance: Instance, tag: string, ctx: CallContext): Promise<CheckResult[]> {
  const r = await runCli(instance.gateway, {
    args: ['update', '--dry-run', '--json', '--yes', '--no-restart', '--tag', tag],
    ...ctx,
  });
  const reasons = r.exitCode === 0 ? [] : parse.updateFailureReasons(r);
  return [
    r.exitCode === 0
      ? { check: 'target-exists', status: 'ok', found: `\`${r.byHand}\` accepts ${tag}` }
      : {
          check: 'target-exists',
          status: 'failed',
          found: `\`${r.byHand}\` exited with code ${r.exitCode}: ${reasons.length ? reasons.join('; ') : outputTail(r.stderr, r.stdout, 6, 600)}`,
          fix: `check that ${tag} is a tag or version the checkout can update to, and that its work tree is clean.`,
        },
    {
      check: 'node-engine',
      status: 'skipped',
      found:
        "source checkout: `openclaw update` builds it with the checkout's own toolchain and checks its engines itself.",
    },
  ];
}

/** Does the Node that runs the instance's CLI satisfy the release's `engines.node`? */
async function nodeEngineCheck(
  instance: Instance,
  release: string,
  enginesNode: string | null,
  ctx: CallContext,
): Promise<CheckResult> {
  if (!enginesNode)
    return { check: 'node-engine', status: 'skipped', found: `openclaw ${release} declares no engines.node.` };
  const node = await cliNodeVersion(instance, ctx).catch((e: Error) => ({ error: e.message }));
  if ('error' in node) {
    return {
      check: 'node-engine',
      status: 'failed',
      found: `could not tell which Node runs ${instance.id}'s CLI: ${node.error}`,
      fix: 'make gateway.cli start with the node binary that runs the gateway.',
    };
  }
  const ok = satisfiesRange(node.version, enginesNode);
  if (ok === true) {
    return {
      check: 'node-engine',
      status: 'ok',
      found: `Node ${node.version} (${node.node}) satisfies openclaw ${release}'s engines.node "${enginesNode}"`,
    };
  }
  if (ok === false) {
    return {
      check: 'node-engine',
      status: 'failed',
      found: `Node ${node.version} (${node.node}, which runs ${instance.id}'s CLI) does not satisfy openclaw ${release}'s engines.node "${enginesNode}": the new release would not start.`,
      fix: `run ${instance.id} on a Node that "${enginesNode}" accepts before rolling out ${release}.`,
    };
  }
  return {
    check: 'node-engine',
    status: 'skipped',
    found: `cannot read engines.node "${enginesNode}" (Node ${node.version}): check it by hand.`,
  };
}

/** The Node that runs the instance's CLI and its version: gateway.cli[0] when it is node, else the CLI's shebang interpreter. */
export async function cliNodeVersion(instance: Instance, ctx: CallContext): Promise<{ node: string; version: string }> {
  const env = childEnvironment(cliEnvironment(instance.gateway).env);
  const first = instance.gateway.cli[0]!;
  let node = first;
  if (!/^node(js)?(\d+)?(\.exe)?$/.test(basename(first))) {
    const path = await which(first, env.PATH);
    if (!path) throw new ConfigurationError(`gateway.cli "${first}" is not found on this host`);
    const head = (await readFile(path, 'utf8').catch(() => '')).slice(0, 200).split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
    if (!m) throw new ConfigurationError(`${path} has no #! line naming its interpreter`);
    node = basename(m[1]!) === 'env' && m[2] ? m[2] : m[1]!;
  }
  const r = await capture([node, '--version'], cliEnvironment(instance.gateway).env, ctx);
  const v = /^v?(\d+\.\d+\.\d+)/.exec(r.stdout.trim())?.[1];
  if (r.exitCode !== 0 || !v)
    throw new ConfigurationError(`\`${node} --version\` said ${quote(r.stdout || r.stderr || '(nothing)', 200)}`);
  return { node, version: v };
}
