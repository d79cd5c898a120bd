/**
 * Every runbook command against one gateway, each a thin CLI call (openclaw-cli.ts) plus its parser
 * (openclaw-parse.ts). Plain async functions: the Temporal activity wrappers (activities/index.ts) add
 * the cancellation signal and heartbeats. Exit codes are never trusted alone: the JSON decides.
 */
import { ConfigurationError, CheckFailedError, TransientError, UnexpectedOutputError } from '../../shared/errors.js';
import type { Device, GatewayAccess, InstallSpec } from '../../shared/inventory.js';
import { quote } from '../host/redact.js';
import { describeFailure, runCli, type CliResult } from './cli.js';
import * as parse from './parse/index.js';
import { runHostCommand } from '../host/exec.js';
import { outputTail } from '../host/npm-errors.js';
import { pause, type CallContext } from '../call-context.js';

export type { CallContext };

/** Fails with the zx-style message unless the exit code is in `ok`. */
function expectExit(result: CliResult, ok: number[], expected: string): void {
  if (!ok.includes(result.exitCode)) throw new TransientError(describeFailure(result, expected));
}

/** `openclaw gateway status --json --require-rpc`: healthy means runtime running and RPC probe ok. */
export async function gatewayStatus(access: GatewayAccess, ctx: CallContext): Promise<parse.GatewayStatus> {
  const r = await runCli(access, { args: ['gateway', 'status', '--json', '--require-rpc', '--timeout', '10000'], remote: true, ...ctx });
  // Exit 1 with --require-rpc means "RPC probe failed": the JSON still says what is down.
  return parse.parseGatewayStatus(r, { remote: access.url !== undefined });
}

/** `openclaw devices list --json`. */
export async function devicesList(access: GatewayAccess, ctx: CallContext): Promise<parse.DevicesList> {
  const r = await runCli(access, { args: ['devices', 'list', '--json'], remote: true, ...ctx });
  const list = parse.parseDevicesList(r);
  expectExit(r, [0], 'exit 0 with the device list');
  return list;
}

/**
 * `openclaw devices rotate --device <id> --role <role> [--scope s]...`. The new token is never printed
 * (tokenDelivery withheld-cross-device): the client gets it by reconnecting with shared auth.
 * A `node` device takes scopes only when the inventory lists some.
 */
export async function devicesRotate(access: GatewayAccess, device: Device, ctx: CallContext): Promise<parse.RotateResult> {
  const args = ['devices', 'rotate', '--device', device.deviceId, '--role', device.role, '--json'];
  for (const scope of device.scopes) args.push('--scope', scope);
  const r = await runCli(access, { args, remote: true, ...ctx });
  const rotated = parse.parseDevicesRotate(r);
  expectExit(r, [0], 'exit 0 with the rotation result');
  if (rotated.deviceId !== device.deviceId || rotated.role !== device.role) {
    throw new UnexpectedOutputError('openclaw devices rotate', `a rotation of ${device.deviceId} (${device.role})`, quote(r.stdout));
  }
  return rotated;
}

/**
 * A rotation of this device's role done at or after `sinceMs` (per `devices list`), or undefined. Lets a
 * retried rotate step (the worker died after the CLI rotated, before the result was recorded) keep
 * the rotation it already made instead of rotating twice. Compares the gateway host's clock with
 * `sinceMs` (Temporal's schedule time): hosts must keep their clocks in sync (NTP).
 */
export async function rotationSince(access: GatewayAccess, device: Device, sinceMs: number, ctx: CallContext): Promise<parse.RotateResult | undefined> {
  const list = await devicesList(access, ctx);
  const token = list.paired.find((d) => d.deviceId === device.deviceId)?.tokens.find((t) => t.role === device.role && !t.revokedAtMs);
  if (token?.rotatedAtMs === undefined || token.rotatedAtMs < sinceMs) return undefined;
  return { deviceId: device.deviceId, role: device.role, scopes: token.scopes, rotatedAtMs: token.rotatedAtMs, tokenDelivery: 'rotated-by-an-earlier-attempt' };
}

/** `openclaw devices revoke --device <id> --role <role>`. */
export async function devicesRevoke(access: GatewayAccess, deviceId: string, role: string, ctx: CallContext): Promise<parse.RevokeResult> {
  const r = await runCli(access, { args: ['devices', 'revoke', '--device', deviceId, '--role', role, '--json'], remote: true, ...ctx });
  const revoked = parse.parseDevicesRevoke(r);
  expectExit(r, [0], 'exit 0 with the revocation result');
  return revoked;
}

/** `openclaw devices approve <requestId>`. */
export async function devicesApprove(access: GatewayAccess, requestId: string, ctx: CallContext): Promise<parse.ApproveResult> {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(requestId)) {
    throw new ConfigurationError(`"${requestId}" is not a pairing request id (expected the requestId from \`openclaw devices list\`).`);
  }
  const r = await runCli(access, { args: ['devices', 'approve', requestId, '--json'], remote: true, ...ctx });
  const approved = parse.parseDevicesApprove(r, requestId);
  expectExit(r, [0], 'exit 0 with the approved device');
  return approved;
}

/** Pending pairing requests (optionally only those of one device). */
export async function pendingRequests(access: GatewayAccess, deviceId: string | undefined, ctx: CallContext): Promise<parse.PendingRequest[]> {
  const { pending } = await devicesList(access, ctx);
  return deviceId ? pending.filter((p) => p.deviceId === deviceId) : pending;
}

/** `openclaw channels status --probe --json` (exit 0 even when down: the JSON decides). */
export async function channelsProbe(access: GatewayAccess, ctx: CallContext): Promise<parse.ChannelsStatus> {
  const probeMs = Math.max(1000, Math.min(15_000, ctx.timeoutMs - 5000));
  const r = await runCli(access, { args: ['channels', 'status', '--probe', '--json', '--timeout', String(probeMs)], ...ctx });
  return parse.parseChannelsStatus(r);
}

/**
 * Counts `device token mismatch` refusals in the gateway log between `sinceMs` and `untilMs`: a bounded
 * read (`openclaw logs --json --limit N`), never `--follow`.
 */
export async function countTokenMismatches(
  access: GatewayAccess,
  query: parse.MismatchQuery & { limit?: number },
  ctx: CallContext,
): Promise<{ count: number; samples: string[]; localFallback: boolean; linesRead: number }> {
  const { records, localFallback } = await readLogs(access, query.limit ?? 2000, ctx);
  return { ...parse.countMismatches(records, query), localFallback, linesRead: records.length };
}

/** `openclaw logs --json --limit N`: the last N records of the gateway log (a bounded read, never --follow). */
async function readLogs(access: GatewayAccess, limit: number, ctx: CallContext): Promise<{ records: parse.LogRecord[]; localFallback: boolean }> {
  const r = await runCli(access, { args: ['logs', '--json', '--limit', String(limit), '--max-bytes', '1000000'], remote: true, ...ctx });
  const logs = parse.parseLogs(r);
  expectExit(r, [0], 'exit 0 with NDJSON log records');
  return logs;
}

/** The refused connects (token or scope mismatch) the gateway logged in the window, one per refusal. */
export async function refusedConnects(
  access: GatewayAccess,
  query: { sinceMs: number; untilMs?: number; limit?: number },
  ctx: CallContext,
): Promise<{ refusals: parse.RefusalLine[]; localFallback: boolean; linesRead: number }> {
  const { records, localFallback } = await readLogs(access, query.limit ?? 5000, ctx);
  return { refusals: parse.refusedConnects(records, query), localFallback, linesRead: records.length };
}

/** `openclaw doctor --json --non-interactive`: passes unless a finding has severity error. */
export async function doctor(access: GatewayAccess, ctx: CallContext): Promise<parse.DoctorReport> {
  const r = await runCli(access, { args: ['doctor', '--json', '--non-interactive'], ...ctx });
  return parse.parseDoctor(r);
}

export interface InstallOutcome {
  kind: InstallSpec['type'];
  /** What ran, for the report (secrets left out). */
  command: string;
  durationMs: number;
}

/**
 * Installs `version` the instance's way: `npm i -g [--prefix P] openclaw@<version>` (global),
 * `openclaw update --yes --json --no-restart --tag <version>` (source checkout), or the inventory's
 * command with `{version}` replaced. Restarting is a separate step (restartGateway).
 */
export async function installVersion(access: GatewayAccess, install: InstallSpec, version: string, ctx: CallContext): Promise<InstallOutcome> {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(version)) {
    throw new ConfigurationError(`target version "${version}" is not a version or dist-tag (e.g. 2026.9.6)`);
  }
  const started = Date.now();
  if (install.type === 'source') {
    const r = await runCli(access, { args: ['update', '--yes', '--json', '--no-restart', '--tag', install.tag ?? version], ...ctx });
    if (r.exitCode !== 0) {
      const reasons = parse.updateFailureReasons(r);
      throw new TransientError(
        `\`openclaw update\` exited with code ${r.exitCode} after ${(r.durationMs / 1000).toFixed(1)} s; expected it to install ${version}.\n` +
          (reasons.length ? `It said:\n${reasons.map((x) => `  - ${x}`).join('\n')}\n` : `It said:\n${outputTail(r.stderr, r.stdout)}\n`) +
          'If doctor reports a database in use, stop the gateway before updating a source checkout.\n' +
          `Run it by hand:\n  ${r.byHand}`,
      );
    }
    parse.parseUpdate(r);
    return { kind: 'source', command: r.byHand, durationMs: Date.now() - started };
  }
  const argv =
    install.type === 'global'
      ? [...install.npm, 'install', '-g', ...(install.prefix ? ['--prefix', install.prefix] : []), '--no-audit', '--no-fund', `openclaw@${version}`]
      : install.command.map((a) => a.replaceAll('{version}', version));
  const heartbeat = ctx.heartbeat ? setInterval(() => ctx.heartbeat?.({ step: 'install', elapsedMs: Date.now() - started }), 5000) : undefined;
  try {
    const field = install.type === 'global' ? 'install.npm' : 'install.command';
    const ran = await runHostCommand({ what: 'install', argv, env: access.env, expected: `it to install openclaw ${version}`, installs: { pkg: 'openclaw', version }, field, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    return { kind: install.type, command: ran.command, durationMs: Date.now() - started };
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}

/** The version a gateway's /startupz reports (cheap, no auth), or null while it is not up. */
export async function startupVersion(httpUrl: string, signal?: AbortSignal): Promise<{ ready: boolean; version: string | null }> {
  try {
    const ready = await fetch(`${httpUrl}/readyz`, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(3000)]) : AbortSignal.timeout(3000) });
    if (!ready.ok) return { ready: false, version: null };
    const res = await fetch(`${httpUrl}/startupz`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { version?: unknown };
    return { ready: true, version: typeof body.version === 'string' ? body.version : null };
  } catch {
    return { ready: false, version: null };
  }
}

export interface RestartOutcome {
  command: string;
  before: parse.GatewayStatus;
  after: parse.GatewayStatus;
  downMs: number;
}

/**
 * Restarts the gateway (the inventory's restart command, else `openclaw gateway restart`), waits until
 * it answers again with a new boot, and checks the version it reports. An in-process restart that keeps
 * the old code is a failed step: `expectVersion` must match.
 */
export async function restartGateway(
  access: GatewayAccess,
  restart: string[] | undefined,
  expectVersion: string | undefined,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<RestartOutcome> {
  const statusCtx = { ...ctx, timeoutMs: 60_000 };
  const before = await gatewayStatus(access, statusCtx).catch(() => undefined);
  const started = Date.now();
  let command: string;
  if (restart) {
    ({ command } = await runHostCommand({ what: 'restart command', argv: restart, env: access.env, expected: '0 with the gateway restarted', field: `the instance's restart`, timeoutMs: ctx.timeoutMs, signal: ctx.signal }));
  } else {
    const r = await runCli(access, { args: ['gateway', 'restart', '--json'], ...ctx });
    command = r.byHand;
    const res = parse.parseRestart(r);
    if (!res.ok) throw new TransientError(describeFailure(r, `{"ok": true} from gateway restart (it said ${res.result ?? 'not ok'}: ${quote(res.message ?? '', 300)})`));
  }
  // Wait for a new boot that answers RPC.
  const deadline = Date.now() + ctx.readyDeadlineMs;
  let last: parse.GatewayStatus | undefined;
  while (Date.now() < deadline) {
    ctx.signal?.throwIfAborted();
    ctx.heartbeat?.({ step: 'restart', waitedMs: Date.now() - started });
    last = await gatewayStatus(access, statusCtx).catch(() => undefined);
    if (last?.healthy && (!before?.bootId || last.bootId !== before.bootId)) break;
    await pause(2000, ctx.signal);
  }
  if (!last?.healthy || (before?.bootId && last.bootId === before.bootId)) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway did not come back healthy with a new boot within ${ctx.readyDeadlineMs / 1000} s ` +
        `(last status: ${last ? `rpc ${last.rpcOk ? 'ok' : 'failed'}, version ${last.version}, boot ${last.bootId}` : 'no answer'}). ` +
        'Check it with `openclaw gateway status` and its log.',
    );
  }
  if (expectVersion && last.version !== expectVersion) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway runs ${last.version}, not ${expectVersion}: the restart did not load the new install ` +
        '(an in-process `openclaw gateway restart` keeps the old code). Set the instance\'s restart command to one that replaces the process (e.g. `supervisorctl restart <program>` or `systemctl restart <unit>`).',
    );
  }
  return { command, before: before ?? last, after: last, downMs: Date.now() - started };
}

/** Runs a device's reconnect hook (idempotent by contract: running it twice must be harmless). */
export function runReconnectHook(hook: string[], env: Record<string, string>, ctx: CallContext): Promise<{ command: string; durationMs: number }> {
  return runHostCommand({ what: 'reconnect hook', argv: hook, env, expected: '0', field: "the device's reconnectHook", timeoutMs: ctx.timeoutMs, signal: ctx.signal });
}

/**
 * Waits until `device` is back after its token was rotated at `rotatedAtMs` (connected, and seen after
 * the rotation), polling `devices list`. Returns false at the deadline.
 */
export async function waitForDeviceBack(
  access: GatewayAccess,
  device: Pick<Device, 'deviceId' | 'role'>,
  rotatedAtMs: number,
  ctx: CallContext & { deadlineMs: number; pollMs?: number },
): Promise<{ back: boolean; waitedMs: number; lastSeenAtMs?: number; connected: boolean }> {
  const started = Date.now();
  let seen: parse.PairedDevice | undefined;
  for (;;) {
    ctx.signal?.throwIfAborted();
    const list = await devicesList(access, ctx);
    seen = list.paired.find((d) => d.deviceId === device.deviceId);
    if (!seen) throw new ConfigurationError(`device ${device.deviceId} is not paired on this gateway (not in \`openclaw devices list\`); check the inventory's devices.`);
    if (parse.reconnectedAfterRotation(seen, device.role, rotatedAtMs)) {
      return { back: true, waitedMs: Date.now() - started, lastSeenAtMs: seen.lastSeenAtMs, connected: true };
    }
    ctx.heartbeat?.({ step: 'wait-device', deviceId: device.deviceId, waitedMs: Date.now() - started });
    if (Date.now() - started >= ctx.deadlineMs) return { back: false, waitedMs: Date.now() - started, lastSeenAtMs: seen.lastSeenAtMs, connected: seen.connected };
    await pause(ctx.pollMs ?? 2000, ctx.signal);
  }
}
