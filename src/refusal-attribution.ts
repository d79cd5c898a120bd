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
export const describeSignature = (s: ClientSignature) => `client ${s.clientId ?? '?'}/${s.clientMode ?? '?'} on ${s.platform ?? '?'}`;

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
  !!a.clientId && a.clientId === b.clientId && (a.clientMode ?? null) === (b.clientMode ?? null) && (a.platform ?? null) === (b.platform ?? null);
