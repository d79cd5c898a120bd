/**
 * `diagnose --device <id>`: from what every instance knows about a device (the deviceDiagnosis workflow),
 * which of the runbook's three causes of `device token mismatch` applies, and the command that fixes it:
 *   1. the client still uses an old token after token rotation;
 *   2. the client was routed to an instance whose pairing store lacks the device (sticky routing);
 *   3. the client's role or scopes changed and its token no longer satisfies them.
 * The gateway's refusal lines carry no device id: they are attributed to the device by correlation
 * with its client id, mode and platform (src/shared/refusal-attribution.ts), and the output says so.
 * Pure: no I/O, so the verdict is unit-tested on facts (the findings per cause: findings.ts).
 */
import type { DeviceFacts, PairedFacts } from '../../shared/facts.js';
import { ConfigurationError } from '../../shared/errors.js';
import type { Device, Instance } from '../../shared/inventory.js';
import type { OperatorCommand } from '../../shared/operator-command.js';
import {
  describeSignature,
  matchesSignature,
  sameSignature,
  type ClientSignature,
} from '../../shared/refusal-attribution.js';
import type { InstanceDeviceFacts } from '../workflow-starts.js';
import { CAUSES, instanceFindings, iso, type Finding, type FindingContext } from './findings.js';

export { CAUSES, type Cause, type Finding } from './findings.js';

export interface InstanceRow {
  instance: string;
  reachable: boolean;
  error?: string;
  known: boolean;
  roles: string[];
  scopes: string[];
  connected: boolean;
  pending: string[];
  /** Refused connects in the window that correlate with the device's client (not identified by id). */
  refusalsCorrelated: number;
  refusalsAll: number;
}

export interface Diagnosis {
  deviceId: string;
  sinceMs: number;
  /** Where the inventory expects the device, if it lists it. */
  expected: { instance: string; role: string; scopes: string[] } | null;
  signature: ClientSignature | null;
  /** How refusal lines were attributed, in plain words. */
  attribution: string;
  rows: InstanceRow[];
  findings: Finding[];
  verdict: string;
}

export interface DiagnoseContext {
  inventoryPath: string;
  instances: Instance[];
  /** How the operator runs the CLI, for the fix's command (absent: the checkout's form). */
  invokedAs?: OperatorCommand;
}

type Reached = InstanceDeviceFacts & { ok: true };
type PairedOn = { instance: string; paired: PairedFacts };

/** The inventory's entry for the device, if any. */
function inventoryEntry(instances: Instance[], deviceId: string): { instance: Instance; device: Device } | undefined {
  for (const instance of instances) {
    const device = instance.devices.find((d) => d.deviceId === deviceId);
    if (device) return { instance, device };
  }
  return undefined;
}

/** The client the device connects with, read where the inventory expects it (else where it is paired first). */
function clientSignature(pairedOn: PairedOn[], homeId: string | undefined): ClientSignature | null {
  const home = pairedOn.find((p) => p.instance === homeId) ?? pairedOn[0];
  return home
    ? { clientId: home.paired.clientId, clientMode: home.paired.clientMode, platform: home.paired.platform }
    : null;
}

/** How refusal lines were attributed to the device, and how sure that is. */
function attributionText(signature: ClientSignature | null, ok: Reached[]): string {
  if (!signature) return 'The device is paired on no reachable instance, so no refusal line can be attributed to it.';
  const sharing = new Set(
    ok.flatMap((r) => r.facts.pairedSignatures.filter((s) => sameSignature(s, signature)).map((s) => s.deviceId)),
  ).size;
  return (
    `Refusal log lines carry no device id: they are attributed to this device by correlation (${describeSignature(signature)})` +
    (sharing > 1
      ? `; ${sharing} paired devices in the cluster share that client, so the counts may include the others.`
      : '; no other paired device shares that client.')
  );
}

function instanceRow(r: InstanceDeviceFacts, correlated: (f: DeviceFacts) => unknown[]): InstanceRow {
  if (!r.ok)
    return {
      instance: r.instance,
      reachable: false,
      error: r.error,
      known: false,
      roles: [],
      scopes: [],
      connected: false,
      pending: [],
      refusalsCorrelated: 0,
      refusalsAll: 0,
    };
  const paired = r.facts.paired;
  return {
    instance: r.instance,
    reachable: true,
    known: !!paired,
    roles: paired?.roles ?? [],
    scopes: paired?.scopes ?? [],
    connected: paired?.connected ?? false,
    pending: r.facts.pending.map((p) => `${p.requestId} (${p.role ?? '?'})`),
    refusalsCorrelated: correlated(r.facts).length,
    refusalsAll: r.facts.refusalsTotal,
  };
}

/** The one-line verdict: the causes found and where, or why none applies; and which instances were not checked. */
function verdictText(
  findings: Finding[],
  pairedOn: PairedOn[],
  results: InstanceDeviceFacts[],
  listed: FindingContext['listed'],
  sinceMs: number,
): string {
  let verdict: string;
  if (findings.length) {
    const causes = [...new Set(findings.map((f) => f.cause))].sort();
    verdict = causes
      .map(
        (c) =>
          `cause ${c}: ${CAUSES[c]} (${findings
            .filter((f) => f.cause === c)
            .map((f) => f.instance)
            .join(', ')})`,
      )
      .join('; ');
  } else if (!pairedOn.length) {
    verdict = `not paired on any reachable instance${listed ? ` (the inventory expects it on ${listed.instance.id})` : ''}: connect its client with the gateway's shared auth and approve its request there (\`openclaw devices approve <requestId>\`).`;
  } else {
    const connected = pairedOn.filter((p) => p.paired.connected).map((p) => p.instance);
    verdict = `no refused connect correlating with this device since ${iso(sinceMs)}; ${connected.length ? `connected on ${connected.join(', ')}` : 'not connected anywhere (the client may be down or offline)'}.`;
  }
  const unreachable = results.filter((r) => !r.ok).map((r) => r.instance);
  return unreachable.length ? `${verdict} Not checked (unreachable): ${unreachable.join(', ')}.` : verdict;
}

/** The verdict for `deviceId` from every instance's facts. Throws ConfigurationError for an unknown device. */
export function diagnose(
  deviceId: string,
  results: InstanceDeviceFacts[],
  sinceMs: number,
  ctx: DiagnoseContext,
): Diagnosis {
  const listed = inventoryEntry(ctx.instances, deviceId);
  const ok = results.filter((r): r is Reached => r.ok);
  const pairedOn = ok.filter((r) => r.facts.paired).map((r) => ({ instance: r.instance, paired: r.facts.paired! }));
  if (!listed && pairedOn.length === 0 && ok.length === results.length) {
    throw new ConfigurationError(
      `--device: no instance of this cluster knows device "${deviceId}" and the inventory does not list it. ` +
        'Use the deviceId shown by `openclaw devices list` on the instance the client connects to.',
    );
  }
  const signature = clientSignature(pairedOn, listed?.instance.id);
  const findingContext: FindingContext = {
    deviceId,
    inventoryPath: ctx.inventoryPath,
    ...(ctx.invokedAs ? { invokedAs: ctx.invokedAs } : {}),
    listed,
    homes: pairedOn.map((p) => p.instance),
    correlated: (f) => (signature ? f.refusals.filter((l) => matchesSignature(l, signature)) : []),
    lookalikes: (f) =>
      signature ? f.pairedSignatures.filter((p) => p.deviceId !== deviceId && sameSignature(p, signature)).length : 0,
  };
  const findings = ok.flatMap((r) => instanceFindings(findingContext, r.instance, r.facts));
  return {
    deviceId,
    sinceMs,
    expected: listed ? { instance: listed.instance.id, role: listed.device.role, scopes: listed.device.scopes } : null,
    signature,
    attribution: attributionText(signature, ok),
    rows: results.map((r) => instanceRow(r, findingContext.correlated)),
    findings,
    verdict: verdictText(findings, pairedOn, results, listed, sinceMs),
  };
}
