/**
 * `diagnose --device <id>`: from what every instance knows about a device (workflows/device-diagnosis.ts),
 * which of the runbook's three causes of `device token mismatch` applies, and the command that fixes it:
 *   1. the client still uses an old token after token rotation;
 *   2. the client was routed to an instance whose pairing store lacks the device (sticky routing);
 *   3. the client's role or scopes changed and its token no longer satisfies them.
 * The gateway's refusal lines carry no device id: they are attributed to the device by correlation
 * with its client id, mode and platform (src/shared/refusal-attribution.ts), and the output says so.
 * Pure: no I/O, so the verdict is unit-tested on facts.
 */
import type { DeviceFacts, PairedFacts } from './activities/device-state.js';
import type { RefusalLine } from './activities/openclaw/parse/index.js';
import { ConfigurationError } from './shared/errors.js';
import type { Device, Instance } from './shared/inventory.js';
import { describeSignature, matchesSignature, sameSignature, type ClientSignature } from './shared/refusal-attribution.js';
import { formatTable } from './text-table.js';
import type { InstanceDeviceFacts } from './workflows/device-diagnosis.js';

export const CAUSES = {
  1: 'old token after rotation',
  2: 'routed to an instance whose pairing store lacks the device (sticky routing)',
  3: 'role or scopes changed',
} as const;
export type Cause = keyof typeof CAUSES;

export interface Finding {
  cause: Cause;
  causeName: string;
  instance: string;
  evidence: string;
  fix: string;
}

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
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The inventory's entry for the device, if any. */
function inventoryEntry(instances: Instance[], deviceId: string): { instance: Instance; device: Device } | undefined {
  for (const instance of instances) {
    const device = instance.devices.find((d) => d.deviceId === deviceId);
    if (device) return { instance, device };
  }
  return undefined;
}

/** The verdict for `deviceId` from every instance's facts. Throws ConfigurationError for an unknown device. */
export function diagnose(deviceId: string, results: InstanceDeviceFacts[], sinceMs: number, ctx: DiagnoseContext): Diagnosis {
  const listed = inventoryEntry(ctx.instances, deviceId);
  const ok = results.filter((r): r is InstanceDeviceFacts & { ok: true } => r.ok);
  const pairedOn = ok.filter((r) => r.facts.paired).map((r) => ({ instance: r.instance, paired: r.facts.paired! }));
  if (!listed && pairedOn.length === 0 && ok.length === results.length) {
    throw new ConfigurationError(
      `--device: no instance of this cluster knows device "${deviceId}" and the inventory does not list it. ` +
        'Use the deviceId shown by `openclaw devices list` on the instance the client connects to.',
    );
  }
  const home = pairedOn.find((p) => p.instance === listed?.instance.id) ?? pairedOn[0];
  const signature: ClientSignature | null = home ? { clientId: home.paired.clientId, clientMode: home.paired.clientMode, platform: home.paired.platform } : null;
  const sharing = signature
    ? new Set(ok.flatMap((r) => r.facts.pairedSignatures.filter((s) => sameSignature(s, signature)).map((s) => s.deviceId))).size
    : 0;
  const attribution = signature
    ? `Refusal log lines carry no device id: they are attributed to this device by correlation (${describeSignature(signature)})` +
      (sharing > 1 ? `; ${sharing} paired devices in the cluster share that client, so the counts may include the others.` : '; no other paired device shares that client.')
    : 'The device is paired on no reachable instance, so no refusal line can be attributed to it.';
  /** Devices paired on an instance with the same client signature (their refusals look the same). */
  const lookalikes = (f: DeviceFacts) => (signature ? f.pairedSignatures.filter((p) => p.deviceId !== deviceId && sameSignature(p, signature)).length : 0);
  const correlated = (f: DeviceFacts) => (signature ? f.refusals.filter((l) => matchesSignature(l, signature)) : []);

  const rows: InstanceRow[] = results.map((r) =>
    r.ok
      ? {
          instance: r.instance,
          reachable: true,
          known: !!r.facts.paired,
          roles: r.facts.paired?.roles ?? [],
          scopes: r.facts.paired?.scopes ?? [],
          connected: r.facts.paired?.connected ?? false,
          pending: r.facts.pending.map((p) => `${p.requestId} (${p.role ?? '?'})`),
          refusalsCorrelated: correlated(r.facts).length,
          refusalsAll: r.facts.refusalsTotal,
        }
      : { instance: r.instance, reachable: false, error: r.error, known: false, roles: [], scopes: [], connected: false, pending: [], refusalsCorrelated: 0, refusalsAll: 0 },
  );

  const starter = (sub: string, flags: string) => `npm run starter -- ${sub} --inventory ${ctx.inventoryPath} ${flags}`;
  const findings: Finding[] = [];
  const add = (cause: Cause, instance: string, evidence: string, fix: string) => findings.push({ cause, causeName: CAUSES[cause], instance, evidence, fix });
  const homes = pairedOn.map((p) => p.instance);

  for (const r of ok) {
    const lines = correlated(r.facts);
    const p = r.facts.paired;
    if (!p) {
      if (lines.length) {
        add(
          2,
          r.instance,
          `${lines.length} refused connect(s) on ${r.instance} correlate with the device's client, and ${r.instance}'s pairing store does not know the device ` +
            `(it is paired on ${homes.join(', ') || 'no instance'}). Last at ${lines.at(-1)!.time}.` +
            (lookalikes(r.facts) ? ` Uncertain: ${lookalikes(r.facts)} other device(s) paired on ${r.instance} use the same client, so these lines may be theirs.` : ''),
          `Route this client to ${homes[0] ?? 'its home instance'} every time: make the load balancer sticky per client device (HAProxy: \`balance source\`, or hash a per-client key), ` +
            `and do not rotate or revoke its token (the token is fine on ${homes.join(', ') || 'its home'}). If ${r.instance} should serve it, pair it there: connect the client with the gateway's shared auth, then ` +
            `\`openclaw devices approve <requestId>\` on ${r.instance}.`,
        );
      }
      continue;
    }
    const role = listed?.device.role ?? p.roles[0] ?? 'operator';
    findOnPairedInstance(r.instance, r.facts, p, lines, role);
  }

  function findOnPairedInstance(instance: string, facts: DeviceFacts, p: PairedFacts, lines: RefusalLine[], role: string): void {
    const repairCmd = (forRole: string) => starter('repair', `--instance ${instance} --device ${deviceId} --role ${forRole}`);
    const upgrade = facts.pending.at(-1);
    const approveHint = upgrade
      ? `If the change is intended, approve the pending request: \`openclaw devices approve ${upgrade.requestId}\` on ${instance}`
      : `If the change is intended, reconnect the client with the gateway's shared auth so it asks for the upgrade, then \`openclaw devices approve <requestId>\` on ${instance}`;
    const otherRole = lines.filter((l) => l.reason === 'device_token_mismatch' && l.role && !p.roles.includes(l.role));
    const scopeLines = lines.filter((l) => l.reason === 'scope_mismatch');
    if (otherRole.length) {
      const asked = [...new Set(otherRole.map((l) => l.role))].join(', ');
      add(3, instance, `${otherRole.length} refused connect(s) on ${instance} ask for role ${asked} with a device token, but the device is paired there as ${p.roles.join(', ') || 'nothing'}.`,
        `${approveHint}; otherwise configure the client back to role ${p.roles.join('/')}. To re-pair it from scratch: \`${repairCmd(p.roles[0] ?? role)}\`.`);
    }
    if (scopeLines.length) {
      const asked = Math.max(...scopeLines.map((l) => l.scopeCount ?? 0));
      add(3, instance, `${scopeLines.length} refused connect(s) on ${instance} ask for ${asked} scopes with a device token approved for ${p.scopes.length} (${p.scopes.join(', ') || 'none'}): scope mismatch.`,
        `${approveHint}; otherwise configure the client back to ${p.scopes.join(', ') || 'its approved scopes'}. To re-pair it from scratch: \`${repairCmd(p.roles[0] ?? role)}\`.`);
    }
    if (listed && listed.instance.id === instance) {
      const missingRole = !p.roles.includes(listed.device.role);
      const missingScopes = listed.device.scopes.filter((s) => !p.scopes.includes(s));
      if (missingRole || missingScopes.length) {
        add(3, instance, `the inventory expects role ${listed.device.role}${listed.device.scopes.length ? ` with ${listed.device.scopes.join(', ')}` : ''}, but ${instance} has it paired as ${p.roles.join(', ') || 'nothing'} with ${p.scopes.join(', ') || 'no scopes'}.`,
          `Re-pair it with the inventory's role and scopes: \`${repairCmd(listed.device.role)}\` (or fix the inventory if the gateway is right).`);
      }
    }
    const sameRole = lines.filter((l) => l.reason === 'device_token_mismatch' && (!l.role || p.roles.includes(l.role)));
    if (sameRole.length) {
      const lineRole = sameRole.at(-1)!.role ?? role;
      const token = p.tokens.find((t) => t.role === lineRole);
      const changedAt = token?.rotatedAtMs ?? token?.revokedAtMs ?? null;
      const after = changedAt === null ? [] : sameRole.filter((l) => l.atMs >= changedAt - 1000);
      if (changedAt !== null && after.length) {
        add(1, instance, `${after.length} refused connect(s) on ${instance} for role ${lineRole} since its token was ${token?.revokedAtMs ? 'revoked' : 'rotated'} at ${iso(changedAt)}: the client still presents the old token.`,
          `Reconnect the client with the gateway's shared auth so it fetches its new token (runbook step 5). If that does not bring it back, run the emergency repair: \`${repairCmd(lineRole)}\`.`);
      } else if (homes.length > 1) {
        add(2, instance, `${sameRole.length} refused connect(s) on ${instance} for role ${lineRole}, whose token there was never rotated; the device is paired on several instances (${homes.join(', ')}), so the client likely presents another instance's token.`,
          `Keep the client on one instance: make the load balancer sticky per client device (HAProxy \`balance source\` or a per-client hash key).`);
      } else {
        add(1, instance, `${sameRole.length} refused connect(s) on ${instance} for role ${lineRole}; its token there was never rotated, so the client presents a token ${instance} did not issue (a stale or copied one).`,
          `Reconnect the client with the gateway's shared auth so it fetches a fresh token; if that does not help: \`${repairCmd(lineRole)}\`.`);
      }
    }
  }

  let verdict: string;
  if (findings.length) {
    const causes = [...new Set(findings.map((f) => f.cause))].sort();
    verdict = causes.map((c) => `cause ${c}: ${CAUSES[c]} (${findings.filter((f) => f.cause === c).map((f) => f.instance).join(', ')})`).join('; ');
  } else if (!pairedOn.length) {
    verdict = `not paired on any reachable instance${listed ? ` (the inventory expects it on ${listed.instance.id})` : ''}: connect its client with the gateway's shared auth and approve its request there (\`openclaw devices approve <requestId>\`).`;
  } else {
    const connected = pairedOn.filter((p) => p.paired.connected).map((p) => p.instance);
    verdict = `no refused connect correlating with this device since ${iso(sinceMs)}; ${connected.length ? `connected on ${connected.join(', ')}` : 'not connected anywhere (the client may be down or offline)'}.`;
  }
  const unreachable = results.filter((r) => !r.ok).map((r) => r.instance);
  if (unreachable.length) verdict += ` Not checked (unreachable): ${unreachable.join(', ')}.`;

  return {
    deviceId,
    sinceMs,
    expected: listed ? { instance: listed.instance.id, role: listed.device.role, scopes: listed.device.scopes } : null,
    signature,
    attribution,
    rows,
    findings,
    verdict,
  };
}

/** The human-readable report: one row per instance, then the findings and the verdict. */
export function formatDiagnosis(d: Diagnosis): string {
  const table = formatTable(
    ['instance', 'known', 'role', 'scopes', 'connected', 'pending', 'refused (correlated/all)'],
    d.rows.map((r) =>
      r.reachable
        ? [r.instance, r.known ? 'yes' : 'no', r.roles.join(',') || '-', r.scopes.join(',') || '-', r.known ? (r.connected ? 'yes' : 'no') : '-', r.pending.join(' ') || '-', `${r.refusalsCorrelated}/${r.refusalsAll}`]
        : [r.instance, 'UNREACHABLE', '-', '-', '-', '-', r.error ?? ''],
    ),
  );
  return [
    `device ${d.deviceId}${d.expected ? ` (inventory: ${d.expected.role} on ${d.expected.instance})` : ' (not in the inventory)'}, since ${iso(d.sinceMs)}`,
    table,
    '',
    d.attribution,
    ...d.findings.flatMap((f) => ['', `cause ${f.cause} (${f.causeName}) on ${f.instance}:`, `  ${f.evidence}`, `  fix: ${f.fix}`]),
    '',
    `verdict: ${d.verdict}`,
  ].join('\n');
}
