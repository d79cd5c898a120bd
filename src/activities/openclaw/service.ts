/**
 * Stopping and starting a gateway through its supervisor (the instance's stop/start commands, or
 * derived from a supervisorctl/systemctl restart), and whether anything answers its /readyz. Both are
 * idempotent: a gateway already down (or already healthy on the version) is fine.
 */
import { CheckFailedError, ConfigurationError, TransientError } from '../../shared/errors.js';
import { deriveServiceCommand } from '../../shared/service-commands.js';
import type { GatewayAccess, Instance } from '../../shared/inventory.js';
import { runHostCommand } from '../host/exec.js';
import { pause, type CallContext } from '../call-context.js';
import { runCli } from './cli.js';
import * as parse from './parse/index.js';
import { gatewayStatus, knownHttpUrl, startupVersion } from './gateway.js';

export interface StopResult {
  command: string;
  durationMs: number;
  /** Nothing answered before the stop command ran. */
  alreadyStopped?: boolean;
}
export interface StartResult {
  command: string;
  /** The version `gateway status` reports after the start. */
  version: string;
  /** From the start command to healthy (absent when it was already running). */
  downMs?: number;
  alreadyRunning?: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The gateway's base http URL for /readyz: `gateway.httpUrl`, else derived from `gateway.url`
 * (ws → http), else the port of `gateway status --json` (which reads the config, also when down).
 */
export async function gatewayHttpUrl(access: GatewayAccess, ctx: CallContext): Promise<string> {
  const known = knownHttpUrl(access);
  if (known) return known;
  const r = await runCli(access, {
    args: ['gateway', 'status', '--json', '--timeout', '3000'],
    ...ctx,
    timeoutMs: Math.min(ctx.timeoutMs, 60_000),
  });
  const probe = parse.parseGatewayProbeUrl(r);
  if (!probe)
    throw new ConfigurationError(
      `cannot tell the gateway's http address from \`${r.byHand}\`; set gateway.httpUrl in the inventory (e.g. http://127.0.0.1:18789).`,
    );
  return probe;
}

/** Whether anything answers HTTP at `<httpUrl>/readyz` (any status: a process is listening). */
export async function answersHttp(httpUrl: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const timeout = AbortSignal.timeout(3000);
    const res = await fetch(`${httpUrl}/readyz`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.body?.cancel();
    return true;
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

// Stop and start

/** The instance's stop or start command (src/shared/service-commands.ts), or a ConfigurationError naming the field. */
export function serviceCommand(instance: Instance, action: 'stop' | 'start'): string[] {
  const derived = deriveServiceCommand(instance, action);
  if (derived) return derived;
  const restart = instance.restart;
  throw new ConfigurationError(
    `instance "${instance.id}" has no ${action} command, and it cannot be derived from its restart command ` +
      `(${restart ? `\`${restart.join(' ')}\` is not \`supervisorctl restart <program>\` or \`systemctl restart <unit>\`` : 'none is set'}). ` +
      `Add instances[i].${action} to the inventory (the entry with id: ${instance.id}), e.g. ${action}: [supervisorctl, ${action}, ${instance.id}].`,
  );
}

/**
 * Stops the gateway (`instance.stop` or derived from `restart`) and waits until nothing answers its
 * /readyz any more. Idempotent: a gateway that is already down is fine (a supervisor that says "not
 * running" is not an error then).
 */
export async function stopGateway(instance: Instance, ctx: CallContext & { deadlineMs?: number }): Promise<StopResult> {
  const argv = serviceCommand(instance, 'stop');
  const command = argv.join(' ');
  const httpUrl = await gatewayHttpUrl(instance.gateway, ctx);
  const started = Date.now();
  const upBefore = await answersHttp(httpUrl, ctx.signal);
  try {
    await runHostCommand({
      what: 'stop command',
      argv,
      env: instance.gateway.env,
      expected: '0 with the gateway stopped',
      field: `instances[i].stop (id: ${instance.id})`,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
  } catch (err) {
    // `supervisorctl stop` of a stopped program exits non-zero ("not running"): down is what we want.
    if (!(err instanceof TransientError) || (await answersHttp(httpUrl, ctx.signal))) throw err;
    return { command, durationMs: Date.now() - started, alreadyStopped: !upBefore };
  }
  const deadline = Date.now() + (ctx.deadlineMs ?? ctx.timeoutMs);
  while (await answersHttp(httpUrl, ctx.signal)) {
    ctx.heartbeat?.({ step: 'stop', waitedMs: Date.now() - started });
    if (Date.now() > deadline) {
      throw new CheckFailedError(
        `after \`${command}\` the gateway still answers ${httpUrl}/readyz after ${seconds(Date.now() - started)}. ` +
          `Check what runs on that port (\`ss -ltnp\`) and stop it by hand:\n  ${command}`,
      );
    }
    await pause(500, ctx.signal);
  }
  return { command, durationMs: Date.now() - started, ...(upBefore ? {} : { alreadyStopped: true }) };
}

/**
 * Starts the stopped gateway (`instance.start` or derived) and waits until it is ready on
 * `expectVersion`. With the gateway's http address that is `/readyz` 200 and `/startupz` reporting the
 * version, polled every 250 ms (they answer in milliseconds; a CLI status call costs ~3 s of start-up
 * inside the window, and `gateway status --require-rpc` runs beside the rotation instead). Without one,
 * `gateway status` decides. Idempotent: a gateway already ready on that version is left alone.
 */
export async function startGateway(
  instance: Instance,
  expectVersion: string,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<StartResult> {
  const access = instance.gateway;
  // Read before the start: without gateway.httpUrl it comes from the config (one CLI call).
  const httpUrl = await gatewayHttpUrl(access, ctx).catch(() => undefined);
  const argv = serviceCommand(instance, 'start');
  const command = argv.join(' ');
  const now = await readiness(access, httpUrl, ctx);
  if (now.ready) {
    if (now.version === expectVersion) return { command, version: expectVersion, alreadyRunning: true };
    throw new CheckFailedError(
      `the gateway already runs ${now.version ?? 'an unknown version'}, not ${expectVersion}: it was not stopped (or something else started it). ` +
        `Stop it (\`${serviceCommand(instance, 'stop').join(' ')}\`), reinstall ${expectVersion}, then start it again.`,
    );
  }
  const started = Date.now();
  try {
    await runHostCommand({
      what: 'start command',
      argv,
      env: access.env,
      expected: '0 with the gateway started',
      field: `instances[i].start (id: ${instance.id})`,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
  } catch (err) {
    // `supervisorctl start` of a running program exits non-zero ("already started"); the wait decides.
    if (!(err instanceof TransientError)) throw err;
    const again = await gatewayStatus(access, { ...ctx, timeoutMs: 60_000 }).catch(() => undefined);
    if (!again?.runtimeRunning) throw err;
  }
  const last = await waitReady(access, httpUrl, { ...ctx, deadline: started + ctx.readyDeadlineMs });
  if (!last.ready) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway did not become ready within ${seconds(ctx.readyDeadlineMs)} (last: ${last.said}). ` +
        'A release that refuses the state (a newer database schema) exits with code 78: check its log and `openclaw gateway status`, ' +
        'and `openclaw database preflight` on a copy of state/openclaw.sqlite.',
    );
  }
  if (last.version !== expectVersion) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway runs ${last.version}, not ${expectVersion}: reinstall ${expectVersion} into its prefix, then stop and start it again.`,
    );
  }
  return { command, version: last.version, downMs: Date.now() - started };
}

interface Readiness {
  ready: boolean;
  version: string | null;
  /** What was seen, for a message. */
  said: string;
}

/** Ready and on which version: `/readyz` + `/startupz` when the http address is known, else `gateway status`. */
async function readiness(access: GatewayAccess, httpUrl: string | undefined, ctx: CallContext): Promise<Readiness> {
  let before = '';
  if (httpUrl) {
    const r = await startupVersion(httpUrl, ctx.signal);
    if (!r.ready || r.version)
      return { ...r, said: r.ready ? `${httpUrl}/readyz 200, version ${r.version}` : `${httpUrl}/readyz not ready` };
    // Ready, but no /startupz version (a release before /startupz): `gateway status` names it.
    before = `${httpUrl}/readyz 200 without a /startupz version; `;
  }
  const s = await gatewayStatus(access, { ...ctx, timeoutMs: 60_000 }).catch(() => undefined);
  const said =
    before +
    (s
      ? `runtime ${s.runtimeRunning ? 'running' : 'not running'}, rpc ${s.rpcOk ? 'ok' : 'failed'}`
      : 'no answer from gateway status');
  return { ready: s?.healthy ?? false, version: s?.version ?? null, said };
}

/** Polls readiness until ready with a version, or the deadline (every 250 ms over HTTP, 2 s with the CLI). */
async function waitReady(
  access: GatewayAccess,
  httpUrl: string | undefined,
  ctx: CallContext & { deadline: number },
): Promise<Readiness> {
  const started = Date.now();
  let last: Readiness = { ready: false, version: null, said: 'nothing answered' };
  while (Date.now() < ctx.deadline) {
    ctx.signal?.throwIfAborted();
    ctx.heartbeat?.({ step: 'start', waitedMs: Date.now() - started });
    last = await readiness(access, httpUrl, ctx);
    if (last.ready && last.version) return last;
    await pause(httpUrl ? 250 : 2000, ctx.signal);
  }
  return last;
}

/** The stop command for a message that tells an operator to stop the gateway first. */
export const describeStop = (instance: Instance) => {
  try {
    return serviceCommand(instance, 'stop').join(' ');
  } catch {
    return 'stop the gateway';
  }
};
