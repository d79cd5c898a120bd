/**
 * Which device a refused connect probably came from. The gateway's refusal log line carries no device
 * id: it names the client software (`client=<id> <mode>`), its platform, the role it asked for and its
 * scope count. A paired device records the same client id, mode and platform, so a line is attributed
 * to a device BY CORRELATION when those match; several devices of the same client software on the
 * same platform are indistinguishable, and every output says so. Pure and workflow-safe (no I/O).
 */

/** What a paired device records about its client software (from `openclaw devices list`). */
export interface ClientSignature {
  clientId?: string | null;
  clientMode?: string | null;
  platform?: string | null;
}

/** The fields of a refusal line that the correlation uses. */
export interface RefusalFields {
  clientId: string | null;
  clientMode: string | null;
  platform: string | null;
}

/** `cli/cli on linux`: how a signature reads in reports. */
export const describeSignature = (s: ClientSignature) =>
  `client ${s.clientId ?? '?'}/${s.clientMode ?? '?'} on ${s.platform ?? '?'}`;

/**
 * Whether a refusal line matches a device's client signature: the client id must be known and equal;
 * mode and platform must be equal where both sides record them.
 */
export function matchesSignature(line: RefusalFields, sig: ClientSignature): boolean {
  if (!sig.clientId || line.clientId !== sig.clientId) return false;
  if (sig.clientMode && line.clientMode && sig.clientMode !== line.clientMode) return false;
  if (sig.platform && line.platform && sig.platform !== line.platform) return false;
  return true;
}

/** The same signature, compared field by field (for "how many devices share it"). */
export const sameSignature = (a: ClientSignature, b: ClientSignature) =>
  !!a.clientId &&
  a.clientId === b.clientId &&
  (a.clientMode ?? null) === (b.clientMode ?? null) &&
  (a.platform ?? null) === (b.platform ?? null);

/** How the refused connects after a rejoin split between the rotated devices (see attributeRefusals). */
export interface RefusalAttribution {
  /** Per rotated device: refusals whose client signature only that device has among the paired ones. */
  perDevice: Record<string, number>;
  /** Refusals that correlate with a rotated device but also with another paired device: nobody's for sure. */
  ambiguous: number;
  /** Refusals that correlate with no rotated device. */
  unattributed: number;
}

/**
 * Attributes refusal lines to the rotated devices `deviceIds`, conservatively: a line counts for a
 * device only when that device is the ONLY paired device whose client signature it matches. The
 * rollout revokes a device on this evidence (emergency repair), so a line two paired devices could
 * have sent must not count for either: it is `ambiguous` and left to the operator (`diagnose`).
 */
export function attributeRefusals(
  lines: RefusalFields[],
  paired: ({ deviceId: string } & ClientSignature)[],
  deviceIds: string[],
): RefusalAttribution {
  const rotated = new Set(deviceIds);
  const result: RefusalAttribution = { perDevice: {}, ambiguous: 0, unattributed: 0 };
  for (const line of lines) {
    const matching = paired.filter((d) => matchesSignature(line, d));
    const rotatedMatching = matching.filter((d) => rotated.has(d.deviceId));
    if (!rotatedMatching.length) result.unattributed++;
    else if (matching.length > 1) result.ambiguous++;
    else result.perDevice[rotatedMatching[0]!.deviceId] = (result.perDevice[rotatedMatching[0]!.deviceId] ?? 0) + 1;
  }
  return result;
}
