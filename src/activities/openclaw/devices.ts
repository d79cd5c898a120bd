/**
 * Devices and their pairing on one gateway: `openclaw devices list / rotate / revoke / approve`, a
 * rotation an earlier attempt already made, pending requests, a device's reconnect hook, and the wait
 * until a device is back after its rotation.
 */
import { ConfigurationError, UnexpectedOutputError } from '../../shared/errors.js';
import type { Device, GatewayAccess } from '../../shared/inventory.js';
import { quote } from '../host/redact.js';
import { runHostCommand } from '../host/exec.js';
import { pause, type CallContext } from '../call-context.js';
import { expectExit, runCli } from './cli.js';
import * as parse from './parse/index.js';

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
export async function devicesRotate(
  access: GatewayAccess,
  device: Device,
  ctx: CallContext,
): Promise<parse.RotateResult> {
  const args = ['devices', 'rotate', '--device', device.deviceId, '--role', device.role, '--json'];
  for (const scope of device.scopes) args.push('--scope', scope);
  const r = await runCli(access, { args, remote: true, ...ctx });
  const rotated = parse.parseDevicesRotate(r);
  expectExit(r, [0], 'exit 0 with the rotation result');
  if (rotated.deviceId !== device.deviceId || rotated.role !== device.role) {
    throw new UnexpectedOutputError(
      'openclaw devices rotate',
      `a rotation of ${device.deviceId} (${device.role})`,
      quote(r.stdout),
    );
  }
  return rotated;
}

/**
 * A rotation of this device's role done at or after `sinceMs` (per `devices list`), or undefined. Lets a
 * retried rotate step (the worker died after the CLI rotated, before the result was recorded) keep
 * the rotation it already made instead of rotating twice. Compares the gateway host's clock with
 * `sinceMs` (Temporal's schedule time): hosts must keep their clocks in sync (NTP).
 */
export async function rotationSince(
  access: GatewayAccess,
  device: Device,
  sinceMs: number,
  ctx: CallContext,
): Promise<parse.RotateResult | undefined> {
  const list = await devicesList(access, ctx);
  const token = list.paired
    .find((d) => d.deviceId === device.deviceId)
    ?.tokens.find((t) => t.role === device.role && !t.revokedAtMs);
  if (token?.rotatedAtMs === undefined || token.rotatedAtMs < sinceMs) return undefined;
  return {
    deviceId: device.deviceId,
    role: device.role,
    scopes: token.scopes,
    rotatedAtMs: token.rotatedAtMs,
    tokenDelivery: 'rotated-by-an-earlier-attempt',
  };
}

/** `openclaw devices revoke --device <id> --role <role>`. */
export async function devicesRevoke(
  access: GatewayAccess,
  deviceId: string,
  role: string,
  ctx: CallContext,
): Promise<parse.RevokeResult> {
  const r = await runCli(access, {
    args: ['devices', 'revoke', '--device', deviceId, '--role', role, '--json'],
    remote: true,
    ...ctx,
  });
  const revoked = parse.parseDevicesRevoke(r);
  expectExit(r, [0], 'exit 0 with the revocation result');
  return revoked;
}

/** A request id goes on the command line: refuse anything but the shape `devices list` gives. */
function checkRequestId(requestId: string): void {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(requestId)) {
    throw new ConfigurationError(
      `"${requestId}" is not a pairing request id (expected the requestId from \`openclaw devices list\`).`,
    );
  }
}

/** `openclaw devices approve <requestId>`. */
export async function devicesApprove(
  access: GatewayAccess,
  requestId: string,
  ctx: CallContext,
): Promise<parse.ApproveResult> {
  checkRequestId(requestId);
  const r = await runCli(access, { args: ['devices', 'approve', requestId, '--json'], remote: true, ...ctx });
  const approved = parse.parseDevicesApprove(r, requestId);
  expectExit(r, [0], 'exit 0 with the approved device');
  return approved;
}

/**
 * `openclaw devices reject <requestId>`: one pending request, never `devices clear` (which wipes every
 * pairing). A request that is already gone counts as rejected: a retry after the CLI rejected it finds none.
 */
export async function devicesReject(
  access: GatewayAccess,
  requestId: string,
  ctx: CallContext,
): Promise<parse.RejectResult> {
  checkRequestId(requestId);
  const r = await runCli(access, { args: ['devices', 'reject', requestId, '--json'], remote: true, ...ctx });
  const rejected = parse.parseDevicesReject(r, requestId);
  if (!rejected.gone) expectExit(r, [0], 'exit 0 with the rejected request');
  return rejected;
}

/** Pending pairing requests (optionally only those of one device). */
export async function pendingRequests(
  access: GatewayAccess,
  deviceId: string | undefined,
  ctx: CallContext,
): Promise<parse.PendingRequest[]> {
  const { pending } = await devicesList(access, ctx);
  return deviceId ? pending.filter((p) => p.deviceId === deviceId) : pending;
}

/** Runs a device's reconnect hook (idempotent by contract: running it twice must be harmless). */
export function runReconnectHook(
  hook: string[],
  env: Record<string, string>,
  ctx: CallContext,
): Promise<{ command: string; durationMs: number }> {
  return runHostCommand({
    what: 'reconnect hook',
    argv: hook,
    env,
    expected: '0',
    field: "the device's reconnectHook",
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  });
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
    if (!seen)
      throw new ConfigurationError(
        `device ${device.deviceId} is not paired on this gateway (not in \`openclaw devices list\`); check the inventory's devices.`,
      );
    if (parse.reconnectedAfterRotation(seen, device.role, rotatedAtMs)) {
      return { back: true, waitedMs: Date.now() - started, lastSeenAtMs: seen.lastSeenAtMs, connected: true };
    }
    ctx.heartbeat?.({ step: 'wait-device', deviceId: device.deviceId, waitedMs: Date.now() - started });
    if (Date.now() - started >= ctx.deadlineMs)
      return {
        back: false,
        waitedMs: Date.now() - started,
        lastSeenAtMs: seen.lastSeenAtMs,
        connected: seen.connected,
      };
    await pause(ctx.pollMs ?? 2000, ctx.signal);
  }
}
