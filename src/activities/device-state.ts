/**
 * What one gateway knows about one device, for the emergency repair and `diagnose`: its pairing entry
 * (roles, scopes, tokens, connected), its pending requests, and the refused connects in the log that
 * correlate with its client (the log lines carry no device id: see src/shared/refusal-attribution.ts).
 * Plain async functions over openclaw/devices.ts and openclaw/logs.ts; the activity wrappers live in activities/index.ts.
 */
import type { DeviceFacts, PairedFacts } from '../shared/facts.js';
import type { Device, GatewayAccess } from '../shared/inventory.js';
import { attributeRefusals, matchesSignature, type ClientSignature } from '../shared/refusal-attribution.js';
import type { CallContext } from './call-context.js';
import { devicesList } from './openclaw/devices.js';
import { refusedConnects } from './openclaw/logs.js';
import { tokenFor, type PairedDevice, type PendingRequest } from './openclaw/parse/index.js';

export type { DeviceFacts, PairedFacts };

export const signatureOf = (d: PairedDevice): ClientSignature => ({
  clientId: d.clientId ?? null,
  clientMode: typeof d.clientMode === 'string' ? d.clientMode : null,
  platform: typeof d.platform === 'string' ? d.platform : null,
});

function pairedFacts(d: PairedDevice): PairedFacts {
  const roles = d.roles.length ? d.roles : d.role ? [d.role] : [];
  return {
    ...signatureOf(d),
    roles,
    scopes: d.scopes,
    connected: d.connected,
    lastSeenAtMs: d.lastSeenAtMs ?? null,
    tokens: d.tokens.map((t) => ({
      role: t.role,
      scopes: t.scopes,
      createdAtMs: t.createdAtMs ?? null,
      rotatedAtMs: t.rotatedAtMs ?? null,
      revokedAtMs: t.revokedAtMs ?? null,
    })),
  };
}

const requestTime = (p: PendingRequest) => p.ts ?? p.createdAtMs ?? null;
const requestRole = (p: PendingRequest) => p.role ?? p.roles?.[0] ?? null;

/** `devices list` + `logs`: everything this gateway says about `deviceId` since `sinceMs`. */
export async function inspectDevice(
  access: GatewayAccess,
  deviceId: string,
  sinceMs: number,
  ctx: CallContext,
): Promise<DeviceFacts> {
  const [list, logs] = await Promise.all([devicesList(access, ctx), refusedConnects(access, { sinceMs }, ctx)]);
  const paired = list.paired.find((d) => d.deviceId === deviceId);
  return {
    deviceId,
    paired: paired ? pairedFacts(paired) : null,
    pending: list.pending
      .filter((p) => p.deviceId === deviceId)
      .map((p) => ({ requestId: p.requestId, role: requestRole(p), scopes: p.scopes, ts: requestTime(p) })),
    refusals: logs.refusals.slice(-200),
    refusalsTotal: logs.refusals.length,
    pairedSignatures: list.paired.map((d) => ({ deviceId: d.deviceId, ...signatureOf(d) })),
    localFallback: logs.localFallback,
  };
}

/** After `devices revoke`: whether `devices list` shows no live token of `role` for the device any more. */
export async function roleRevoked(
  access: GatewayAccess,
  deviceId: string,
  role: string,
  ctx: CallContext,
): Promise<{ revoked: boolean; paired: boolean }> {
  const list = await devicesList(access, ctx);
  const d = list.paired.find((x) => x.deviceId === deviceId);
  return { revoked: !d || tokenFor(d, role) === undefined, paired: !!d };
}

export interface PairingRequests {
  /** Requests of this device, made after `sinceMs`, for its role, asking no scope beyond the inventory's. */
  matching: { requestId: string; role: string | null; scopes: string[]; ts: number | null }[];
  /** Its other pending requests, with why they do not qualify. */
  other: { requestId: string; why: string }[];
}

/**
 * The device's pending pairing requests that an emergency repair may approve: made after the revoke
 * (`sinceMs`, with `skewMs` for clocks of different hosts), for the device's role, and not asking for
 * scopes the inventory does not list (an operator device's scopes; a node's only when listed).
 */
export async function pairingRequestsSince(
  access: GatewayAccess,
  device: Pick<Device, 'deviceId' | 'role' | 'scopes'>,
  sinceMs: number,
  ctx: CallContext & { skewMs?: number },
): Promise<PairingRequests> {
  const list = await devicesList(access, ctx);
  const out: PairingRequests = { matching: [], other: [] };
  for (const p of list.pending.filter((x) => x.deviceId === device.deviceId)) {
    const ts = requestTime(p);
    const role = requestRole(p);
    const extra =
      device.role === 'operator' || device.scopes.length ? p.scopes.filter((s) => !device.scopes.includes(s)) : [];
    const why =
      ts !== null && ts < sinceMs - (ctx.skewMs ?? 5000)
        ? `made before the revoke (${new Date(ts).toISOString()})`
        : role !== device.role && !(p.roles ?? []).includes(device.role)
          ? `asks for role ${role ?? '?'}, not ${device.role}`
          : extra.length
            ? `asks for scopes the inventory does not list: ${extra.join(', ')}`
            : null;
    if (why) out.other.push({ requestId: p.requestId, why });
    else out.matching.push({ requestId: p.requestId, role, scopes: p.scopes, ts });
  }
  out.matching.sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0));
  return out;
}

export interface RepairCheck {
  paired: boolean;
  connected: boolean;
  roles: string[];
  scopes: string[];
  /** Refused connects since `sinceMs` that correlate with the device's client (same client id/mode/platform). */
  refusalsCorrelated: number;
  /** How many devices paired here share that client signature (1 = only this one). */
  devicesSharingSignature: number;
  samples: string[];
  problems: string[];
}

/**
 * The end check of a repair: the device is paired with the inventory's role and scopes, connected, and
 * no refused connect correlating with its client was logged since `sinceMs`.
 */
export async function checkRepaired(
  access: GatewayAccess,
  device: Pick<Device, 'deviceId' | 'role' | 'scopes'>,
  sinceMs: number,
  ctx: CallContext,
): Promise<RepairCheck> {
  const facts = await inspectDevice(access, device.deviceId, sinceMs, ctx);
  const p = facts.paired;
  const problems: string[] = [];
  if (!p) problems.push(`not paired on this gateway (not in \`openclaw devices list\`)`);
  const correlated = p ? facts.refusals.filter((r) => matchesSignature(r, p)) : [];
  const sharing = p
    ? facts.pairedSignatures.filter((s) =>
        matchesSignature(
          { clientId: s.clientId ?? null, clientMode: s.clientMode ?? null, platform: s.platform ?? null },
          p,
        ),
      ).length
    : 0;
  if (p) {
    if (!p.roles.includes(device.role))
      problems.push(`paired with role(s) ${p.roles.join(', ') || 'none'}, not ${device.role}`);
    const missing = device.scopes.filter((s) => !p.scopes.includes(s));
    if (missing.length) problems.push(`missing scope(s) ${missing.join(', ')} (has ${p.scopes.join(', ') || 'none'})`);
    if (!p.tokens.some((t) => t.role === device.role && t.revokedAtMs === null))
      problems.push(`has no live ${device.role} token`);
    if (!p.connected) problems.push('not connected');
    if (correlated.length) {
      problems.push(
        `${correlated.length} refused connect(s) correlating with its client since the approval (by client id/mode/platform, not by device id` +
          `${sharing > 1 ? `; ${sharing} paired devices share that client` : ''})`,
      );
    }
  }
  return {
    paired: !!p,
    connected: p?.connected ?? false,
    roles: p?.roles ?? [],
    scopes: p?.scopes ?? [],
    refusalsCorrelated: correlated.length,
    devicesSharingSignature: sharing,
    samples: correlated
      .slice(0, 3)
      .map((r) => `${r.time} ${r.reason} role=${r.role ?? '?'} scopes=${r.scopeCount ?? '?'} conn=${r.conn ?? '?'}`),
    problems,
  };
}

export interface RefusalsByDevice {
  /** Refused connects per device id, attributed by correlation with each device's client signature. */
  perDevice: Record<string, number>;
  /** Refused connects that correlate with none of the given devices. */
  unattributed: number;
  /**
   * Refused connects that correlate with a given device AND another paired device (same client
   * software and platform): attributed to none. Absent in results recorded before it existed.
   */
  ambiguous?: number;
  total: number;
  samples: string[];
}

/**
 * The refused connects since `sinceMs`, attributed to `devices` by correlation, conservatively (see
 * attributeRefusals; a device unknown here gets none attributed: signatures come from this gateway's
 * pairing store).
 */
export async function refusalsByDevice(
  access: GatewayAccess,
  deviceIds: string[],
  sinceMs: number,
  ctx: CallContext,
): Promise<RefusalsByDevice> {
  const [list, logs] = await Promise.all([devicesList(access, ctx), refusedConnects(access, { sinceMs }, ctx)]);
  const paired = list.paired.map((d) => ({ deviceId: d.deviceId, ...signatureOf(d) }));
  const { perDevice, ambiguous, unattributed } = attributeRefusals(logs.refusals, paired, deviceIds);
  return {
    perDevice,
    unattributed,
    ambiguous,
    total: logs.refusals.length,
    samples: logs.refusals
      .slice(0, 3)
      .map((r) => `${r.time} ${r.reason} client=${r.clientId ?? '?'} role=${r.role ?? '?'} conn=${r.conn ?? '?'}`),
  };
}
