/**
 * Pairing requests a rollout left on the wrong instance. While an instance is out of traffic, its
 * clients' own reconnects go through the load balancer to another instance; one that does not know the
 * device answers with a pending pairing request. Approving it would pair the device on the wrong
 * instance (the runbook's second cause of the mismatch), so the rollout rejects it at the end: a request
 * is a stray when the inventory lists its device on another instance (not on this one), the device is
 * not paired here, and it was made after the rollout started. Requests of devices the inventory does not
 * know are a person's to decide, and are left alone.
 */

/** A pending request seen on an instance (what the final check keeps of `devices list`). */
export interface NewRequest {
  requestId: string;
  deviceId: string;
  ts?: number;
}

/** What the check read on one instance: its new requests from devices it does not have. */
export interface NewRequestsOf {
  instance: string;
  newRequests?: NewRequest[];
}

export interface StrayRequest extends NewRequest {
  /** The instance it was left on. */
  instance: string;
  /** The instances the inventory lists the device on (its home). */
  home: string[];
}

export interface StrayRequestOutcome extends StrayRequest {
  rejected: boolean;
  /** Why it could not be rejected (the request stays; it expires by itself after 5 minutes). */
  error?: string;
}

/**
 * The pending requests made at or after `sinceMs` by devices that are neither listed on the instance in
 * the inventory nor paired on it (a request without a time is not counted: it cannot be placed).
 */
export function requestsFromOtherDevices(
  list: { pending: NewRequest[]; paired: { deviceId: string }[] },
  listedHere: string[],
  sinceMs: number,
): NewRequest[] {
  const known = new Set([...listedHere, ...list.paired.map((d) => d.deviceId)]);
  return list.pending
    .filter((p) => !known.has(p.deviceId) && p.ts !== undefined && p.ts >= sinceMs)
    .map((p) => ({ requestId: p.requestId, deviceId: p.deviceId, ts: p.ts }));
}

/** The new requests whose device the inventory lists on another instance: those the rollout rejects. */
export function strayRequests(
  inventory: { instances: { id: string; devices: { deviceId: string }[] }[] },
  seen: NewRequestsOf[],
): StrayRequest[] {
  const homes = new Map<string, string[]>();
  for (const i of inventory.instances)
    for (const d of i.devices) homes.set(d.deviceId, [...(homes.get(d.deviceId) ?? []), i.id]);
  return seen.flatMap((s) =>
    (s.newRequests ?? []).flatMap((p) => {
      const home = (homes.get(p.deviceId) ?? []).filter((h) => h !== s.instance);
      return home.length ? [{ ...p, instance: s.instance, home }] : [];
    }),
  );
}

/** One line for the report and the Web UI. */
export function describeStrays(outcomes: StrayRequestOutcome[]): string | undefined {
  if (!outcomes.length) return undefined;
  const rejected = outcomes.filter((o) => o.rejected);
  const left = outcomes.filter((o) => !o.rejected);
  const where = (o: StrayRequestOutcome) => `${o.deviceId.slice(0, 12)} (home ${o.home.join(', ')}) on ${o.instance}`;
  const parts = [
    rejected.length
      ? `rejected ${rejected.length} pairing request${rejected.length === 1 ? '' : 's'} clients left on another instance while their home was out of traffic: ${rejected.map(where).join('; ')}`
      : '',
    left.length
      ? `could not reject ${left.map((o) => `${where(o)} (${o.error ?? 'unknown'})`).join('; ')}: do not approve them (\`openclaw devices reject <requestId>\` on that instance; they expire after 5 minutes)`
      : '',
  ];
  return parts.filter(Boolean).join('; ');
}
