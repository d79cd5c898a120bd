/**
 * The findings of `diagnose`: for each reachable instance, which of the runbook's three causes of
 * `device token mismatch` the refused connects correlating with the device point to, with the evidence
 * and the command that fixes it. Pure (facts in, findings out).
 */
import type { DeviceFacts, PairedFacts, RefusalLine } from '../../shared/facts.js';
import type { Device, Instance } from '../../shared/inventory.js';
import { cliLine, type OperatorCommand } from '../../shared/operator-command.js';

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

/** What every finding needs to know about the device and the cluster. */
export interface FindingContext {
  deviceId: string;
  inventoryPath: string;
  invokedAs?: OperatorCommand;
  /** The inventory's entry for the device, if it lists it. */
  listed: { instance: Instance; device: Device } | undefined;
  /** The instances whose pairing store knows the device. */
  homes: string[];
  /** The refused connects on an instance that correlate with the device's client. */
  correlated: (facts: DeviceFacts) => RefusalLine[];
  /** How many other devices paired on an instance share the device's client (their refusals look the same). */
  lookalikes: (facts: DeviceFacts) => number;
}

export const iso = (ms: number) => new Date(ms).toISOString();

const finding = (cause: Cause, instance: string, evidence: string, fix: string): Finding => ({
  cause,
  causeName: CAUSES[cause],
  instance,
  evidence,
  fix,
});

/** The findings on one reachable instance. */
export function instanceFindings(ctx: FindingContext, instance: string, facts: DeviceFacts): Finding[] {
  const lines = ctx.correlated(facts);
  const p = facts.paired;
  if (!p) return lines.length ? [unpairedFinding(ctx, instance, facts, lines)] : [];
  const on: PairedOn = {
    instance,
    facts,
    paired: p,
    lines,
    role: ctx.listed?.device.role ?? p.roles[0] ?? 'operator',
    repairCmd: (role) => repairCommand(ctx, instance, role),
  };
  return [...roleFindings(on), ...scopeFindings(on), ...inventoryFindings(ctx, on), ...tokenFindings(ctx, on)];
}

const repairCommand = (ctx: FindingContext, instance: string, role: string) =>
  cliLine(
    ctx.invokedAs,
    `repair --inventory ${ctx.inventoryPath} --instance ${instance} --device ${ctx.deviceId} --role ${role}`,
  );

/** Cause 2: refusals on an instance whose pairing store lacks the device. */
function unpairedFinding(ctx: FindingContext, instance: string, facts: DeviceFacts, lines: RefusalLine[]): Finding {
  const { homes } = ctx;
  const others = ctx.lookalikes(facts);
  return finding(
    2,
    instance,
    `${lines.length} refused connect(s) on ${instance} correlate with the device's client, and ${instance}'s pairing store does not know the device ` +
      `(it is paired on ${homes.join(', ') || 'no instance'}). Last at ${lines.at(-1)!.time}.` +
      (others
        ? ` Uncertain: ${others} other device(s) paired on ${instance} use the same client, so these lines may be theirs.`
        : ''),
    `Route this client to ${homes[0] ?? 'its home instance'} every time: make the load balancer sticky per client device (HAProxy: \`balance source\`, or hash a per-client key), ` +
      `and do not rotate or revoke its token (the token is fine on ${homes.join(', ') || 'its home'}). If ${instance} should serve it, pair it there: connect the client with the gateway's shared auth, then ` +
      `\`openclaw devices approve <requestId>\` on ${instance}.`,
  );
}

/** An instance where the device is paired, with the refusals that correlate with it. */
interface PairedOn {
  instance: string;
  facts: DeviceFacts;
  paired: PairedFacts;
  lines: RefusalLine[];
  /** The role to re-pair with when nothing says otherwise. */
  role: string;
  repairCmd: (role: string) => string;
}

function approveHint({ instance, facts }: PairedOn): string {
  const upgrade = facts.pending.at(-1);
  return upgrade
    ? `If the change is intended, approve the pending request: \`openclaw devices approve ${upgrade.requestId}\` on ${instance}`
    : `If the change is intended, reconnect the client with the gateway's shared auth so it asks for the upgrade, then \`openclaw devices approve <requestId>\` on ${instance}`;
}

/** Cause 3: the client asks for a role it is not paired for. */
function roleFindings(on: PairedOn): Finding[] {
  const { instance, paired: p } = on;
  const otherRole = on.lines.filter((l) => l.reason === 'device_token_mismatch' && l.role && !p.roles.includes(l.role));
  if (!otherRole.length) return [];
  const asked = [...new Set(otherRole.map((l) => l.role))].join(', ');
  return [
    finding(
      3,
      instance,
      `${otherRole.length} refused connect(s) on ${instance} ask for role ${asked} with a device token, but the device is paired there as ${p.roles.join(', ') || 'nothing'}.`,
      `${approveHint(on)}; otherwise configure the client back to role ${p.roles.join('/')}. To re-pair it from scratch: \`${on.repairCmd(p.roles[0] ?? on.role)}\`.`,
    ),
  ];
}

/** Cause 3: the client asks for more scopes than its token was approved for. */
function scopeFindings(on: PairedOn): Finding[] {
  const { instance, paired: p } = on;
  const scopeLines = on.lines.filter((l) => l.reason === 'scope_mismatch');
  if (!scopeLines.length) return [];
  const asked = Math.max(...scopeLines.map((l) => l.scopeCount ?? 0));
  return [
    finding(
      3,
      instance,
      `${scopeLines.length} refused connect(s) on ${instance} ask for ${asked} scopes with a device token approved for ${p.scopes.length} (${p.scopes.join(', ') || 'none'}): scope mismatch.`,
      `${approveHint(on)}; otherwise configure the client back to ${p.scopes.join(', ') || 'its approved scopes'}. To re-pair it from scratch: \`${on.repairCmd(p.roles[0] ?? on.role)}\`.`,
    ),
  ];
}

/** Cause 3: the pairing differs from the inventory's role and scopes for the device. */
function inventoryFindings({ listed }: FindingContext, on: PairedOn): Finding[] {
  const { instance, paired: p } = on;
  if (!listed || listed.instance.id !== instance) return [];
  const missingRole = !p.roles.includes(listed.device.role);
  const missingScopes = listed.device.scopes.filter((s) => !p.scopes.includes(s));
  if (!missingRole && !missingScopes.length) return [];
  return [
    finding(
      3,
      instance,
      `the inventory expects role ${listed.device.role}${listed.device.scopes.length ? ` with ${listed.device.scopes.join(', ')}` : ''}, but ${instance} has it paired as ${p.roles.join(', ') || 'nothing'} with ${p.scopes.join(', ') || 'no scopes'}.`,
      `Re-pair it with the inventory's role and scopes: \`${on.repairCmd(listed.device.role)}\` (or fix the inventory if the gateway is right).`,
    ),
  ];
}

/** Cause 1 (an old or foreign token) or 2 (paired on several instances): token mismatches for a role it holds. */
function tokenFindings({ homes }: FindingContext, on: PairedOn): Finding[] {
  const { instance, paired: p } = on;
  const sameRole = on.lines.filter(
    (l) => l.reason === 'device_token_mismatch' && (!l.role || p.roles.includes(l.role)),
  );
  if (!sameRole.length) return [];
  const lineRole = sameRole.at(-1)!.role ?? on.role;
  const token = p.tokens.find((t) => t.role === lineRole);
  const changedAt = token?.rotatedAtMs ?? token?.revokedAtMs ?? null;
  const after = changedAt === null ? [] : sameRole.filter((l) => l.atMs >= changedAt - 1000);
  if (changedAt !== null && after.length) {
    return [
      finding(
        1,
        instance,
        `${after.length} refused connect(s) on ${instance} for role ${lineRole} since its token was ${token?.revokedAtMs ? 'revoked' : 'rotated'} at ${iso(changedAt)}: the client still presents the old token.`,
        `Reconnect the client with the gateway's shared auth so it fetches its new token (runbook step 5). If that does not bring it back, run the emergency repair: \`${on.repairCmd(lineRole)}\`.`,
      ),
    ];
  }
  if (homes.length > 1) {
    return [
      finding(
        2,
        instance,
        `${sameRole.length} refused connect(s) on ${instance} for role ${lineRole}, whose token there was never rotated; the device is paired on several instances (${homes.join(', ')}), so the client likely presents another instance's token.`,
        `Keep the client on one instance: make the load balancer sticky per client device (HAProxy \`balance source\` or a per-client hash key).`,
      ),
    ];
  }
  return [
    finding(
      1,
      instance,
      `${sameRole.length} refused connect(s) on ${instance} for role ${lineRole}; its token there was never rotated, so the client presents a token ${instance} did not issue (a stale or copied one).`,
      `Reconnect the client with the gateway's shared auth so it fetches a fresh token; if that does not help: \`${on.repairCmd(lineRole)}\`.`,
    ),
  ];
}
