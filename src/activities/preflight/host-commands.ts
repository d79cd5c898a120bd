/**
 * host-commands: every command the rollout will run for an instance on this host exists and is
 * executable (and a script an interpreter runs exists).
 */
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Instance } from '../../shared/inventory.js';
import type { CheckResult } from '../../shared/preflight-rules.js';
import { childEnvironment } from '../host/child-env.js';
import { serviceCommand } from '../openclaw/service.js';
import { cliEnvironment } from '../openclaw/cli.js';

// The host

/** The file `cmd` resolves to on PATH (or itself when it has a slash), if it exists and is executable. */
export async function which(cmd: string, pathVar = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = cmd.includes('/')
    ? [resolve(cmd)]
    : pathVar
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, cmd));
  for (const c of candidates) {
    if (
      await access(c, constants.X_OK).then(
        () => true,
        () => false,
      )
    ) {
      if (
        (await lstat(c).then(
          (s) => s.isDirectory(),
          () => false,
        )) === false
      )
        return c;
    }
  }
  return undefined;
}

/**
 * host-commands: every command the rollout will run for this instance on this host exists and is
 * executable (the CLI, npm or the install command, restart, stop, start, each device's reconnect hook).
 */
export async function checkHostCommands(instance: Instance): Promise<CheckResult> {
  const env = childEnvironment(cliEnvironment(instance.gateway).env);
  const commands: { field: string; argv: string[] }[] = [{ field: 'gateway.cli', argv: instance.gateway.cli }];
  if (instance.install.type === 'global' || instance.install.type === 'staged')
    commands.push({ field: 'install.npm', argv: instance.install.npm });
  if (instance.install.type === 'command') commands.push({ field: 'install.command', argv: instance.install.command });
  if (instance.restart) commands.push({ field: 'restart', argv: instance.restart });
  for (const action of ['stop', 'start'] as const) {
    try {
      commands.push({
        field: instance[action] ? action : `${action} (derived from restart)`,
        argv: serviceCommand(instance, action),
      });
    } catch {
      /* no stop/start: the backup rollback says so when it needs one; not a prerequisite of the update */
    }
  }
  for (const d of instance.devices)
    if (d.reconnectHook)
      commands.push({ field: `devices[${d.name ?? d.deviceId.slice(0, 12)}].reconnectHook`, argv: d.reconnectHook });
  const missing: string[] = [];
  for (const c of commands) {
    // A script run by an interpreter (node x.mjs, sh -c ...) also needs its script file.
    const file = c.argv[0]!;
    if (!(await which(file, env.PATH)))
      missing.push(
        `${c.field}: "${file}" ${file.includes('/') ? 'does not exist or is not executable' : `is not on PATH (${env.PATH ?? ''})`}`,
      );
    const script = c.argv[1];
    if (
      script &&
      /^node(js)?(\d+)?$/.test(basename(file)) &&
      isAbsolute(script) &&
      !(await access(script, constants.R_OK).then(
        () => true,
        () => false,
      ))
    ) {
      missing.push(`${c.field}: script ${script} does not exist`);
    }
  }
  return missing.length
    ? {
        check: 'host-commands',
        status: 'failed',
        found: `on ${instance.host ?? "the central worker's host"}: ${missing.join('; ')}.`,
        fix: 'install the program there or fix the named field of the instance in the inventory.',
      }
    : {
        check: 'host-commands',
        status: 'ok',
        found: `${commands.length} commands found and executable (${[...new Set(commands.map((c) => basename(c.argv[0]!)))].join(', ')})`,
      };
}
