/**
 * Parsers of `openclaw devices list / rotate / revoke / approve --json`, and what a device's pairing
 * entry says (its live token of a role, whether it came back after a rotation).
 */
import { z } from 'zod';
import { ConfigurationError } from '../../../shared/errors.js';
import { parseJson, throwIfErrorEnvelope, type Captured } from './json.js';

/** Optional epoch-millisecond fields: the CLI leaves out the time of what did not happen. */
const epochMs = <K extends string>(...names: K[]) =>
  Object.fromEntries(names.map((n) => [n, z.number().optional()])) as { [N in K]: z.ZodOptional<z.ZodNumber> };

const TokenJson = z
  .object({
    role: z.string(),
    scopes: z.array(z.string()).default([]),
    ...epochMs('createdAtMs', 'rotatedAtMs', 'revokedAtMs', 'lastUsedAtMs'),
  })
  .loose();

const PairedJson = z
  .object({
    deviceId: z.string(),
    role: z.string().optional(),
    roles: z.array(z.string()).default([]),
    scopes: z.array(z.string()).default([]),
    connected: z.boolean().default(false),
    lastSeenAtMs: z.number().optional(),
    lastSeenReason: z.string().optional(),
    displayName: z.string().optional(),
    clientId: z.string().optional(),
    tokens: z.array(TokenJson).default([]),
  })
  .loose();

const PendingJson = z
  .object({
    requestId: z.string(),
    deviceId: z.string(),
    role: z.string().optional(),
    roles: z.array(z.string()).optional(),
    scopes: z.array(z.string()).default([]),
    clientId: z.string().optional(),
    reason: z.string().optional(),
    ts: z.number().optional(),
    createdAtMs: z.number().optional(),
  })
  .loose();

const DevicesListJson = z
  .object({ pending: z.array(PendingJson).default([]), paired: z.array(PairedJson).default([]) })
  .loose();

export type PairedDevice = z.infer<typeof PairedJson>;
export type PendingRequest = z.infer<typeof PendingJson>;
export type DeviceToken = z.infer<typeof TokenJson>;
export interface DevicesList {
  pending: PendingRequest[];
  paired: PairedDevice[];
}

export function parseDevicesList(out: Captured): DevicesList {
  throwIfErrorEnvelope('openclaw devices list', out, /^$/);
  return parseJson('openclaw devices list --json', out, DevicesListJson, 'a JSON object with pending and paired lists');
}

/** The live (not revoked) token of `device` for `role`, if any. */
export function tokenFor(device: PairedDevice, role: string): DeviceToken | undefined {
  return device.tokens.find((t) => t.role === role && t.revokedAtMs === undefined);
}

/**
 * Whether `device` came back after its `role` token was rotated: connected now, and seen after the
 * rotation (`lastUsedAtMs` is not reliable, `lastSeenAtMs` is).
 */
export function reconnectedAfterRotation(device: PairedDevice, role: string, rotatedAtMs: number): boolean {
  return device.connected && (device.lastSeenAtMs ?? 0) > rotatedAtMs && tokenFor(device, role) !== undefined;
}

const DENIED = /denied|unknown device|not paired|not found|invalid scope|scope/i;

const RotateJson = z
  .object({
    deviceId: z.string(),
    role: z.string(),
    scopes: z.array(z.string()).default([]),
    rotatedAtMs: z.number(),
    tokenDelivery: z.string().optional(),
  })
  .loose();
export type RotateResult = z.infer<typeof RotateJson>;

export function parseDevicesRotate(out: Captured): RotateResult {
  throwIfErrorEnvelope('openclaw devices rotate', out, DENIED);
  return parseJson(
    'openclaw devices rotate --json',
    out,
    RotateJson,
    'a JSON object with deviceId, role, scopes and rotatedAtMs',
  );
}

const RevokeJson = z.object({ deviceId: z.string(), role: z.string(), revokedAtMs: z.number() }).loose();
export type RevokeResult = z.infer<typeof RevokeJson>;

export function parseDevicesRevoke(out: Captured): RevokeResult {
  throwIfErrorEnvelope('openclaw devices revoke', out, DENIED);
  return parseJson(
    'openclaw devices revoke --json',
    out,
    RevokeJson,
    'a JSON object with deviceId, role and revokedAtMs',
  );
}

const ApproveJson = z
  .object({
    requestId: z.string().optional(),
    device: PairedJson.optional(),
    deviceId: z.string().optional(),
  })
  .loose()
  .refine((a) => a.device !== undefined || a.deviceId !== undefined, { message: 'expected the approved device' });

export interface ApproveResult {
  requestId: string;
  deviceId: string;
}

export function parseDevicesApprove(out: Captured, requestId: string): ApproveResult {
  if (out.exitCode !== 0 && /No pending device request matches/i.test(out.stderr + out.stdout)) {
    throw new ConfigurationError(
      `openclaw devices approve ${requestId}: no pending request has that id (it may have expired or been approved already). ` +
        'List the current ones with `openclaw devices list`.',
    );
  }
  throwIfErrorEnvelope('openclaw devices approve', out, DENIED);
  const a = parseJson(
    'openclaw devices approve --json',
    out,
    ApproveJson,
    'a JSON object describing the approved device',
  );
  return { requestId, deviceId: a.device?.deviceId ?? a.deviceId! };
}

const RejectJson = z.object({ requestId: z.string(), deviceId: z.string() }).loose();

/** A rejected request, or `gone` when no pending request had that id (expired, or rejected by an earlier attempt). */
export type RejectResult = { requestId: string; deviceId: string; gone: false } | { requestId: string; gone: true };

export function parseDevicesReject(out: Captured, requestId: string): RejectResult {
  if (out.exitCode !== 0 && /unknown requestId/i.test(out.stdout + out.stderr)) return { requestId, gone: true };
  throwIfErrorEnvelope('openclaw devices reject', out, DENIED);
  const r = parseJson('openclaw devices reject --json', out, RejectJson, 'a JSON object with requestId and deviceId');
  return { requestId: r.requestId, deviceId: r.deviceId, gone: false };
}
