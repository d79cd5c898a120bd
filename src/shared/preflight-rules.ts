/**
 * The checks `plan` and `start` run before anything changes (issue 20), their names, results and the
 * rules they enforce. Workflow-safe: no I/O and no Node built-ins (the preflight workflow imports it).
 * The checks that need a host live in activities/preflight/; the one that needs the Temporal
 * server (host-worker) in the starter; instance-local-state is pure and lives here.
 */

/** Every check, by the name the inventory's `policy.preflight.warn` uses. */
export const PREFLIGHT_CHECKS = [
  'target-exists',
  'node-engine',
  'sticky-routing',
  'instance-local-state',
  'host-worker',
  'host-commands',
  'disk-space',
] as const;
export type PreflightCheckId = (typeof PREFLIGHT_CHECKS)[number];
/** The checks `policy.preflight.warn` may turn into warnings: all but host-worker (without its worker an instance's steps wait forever). */
export const WARNABLE_CHECKS = PREFLIGHT_CHECKS.filter(
  (c): c is Exclude<PreflightCheckId, 'host-worker'> => c !== 'host-worker',
);

export interface CheckResult {
  check: PreflightCheckId;
  /** ok; failed (refuses start); warning (failed, but policy.preflight.warn lists it); skipped (nothing to check, with why). */
  status: 'ok' | 'failed' | 'warning' | 'skipped';
  /** What was found, in the tool's words where there are some. */
  found: string;
  /** What to do about it (failed/warning). */
  fix?: string;
  /** The runbook rule it enforces, quoted. */
  rule?: string;
}

/** The runbook's "Cluster rules that prevent repeat incidents", quoted. */
export const RUNBOOK_RULE = {
  sticky: 'Keep WebSocket routing sticky per client device when using multiple Gateway instances.',
  instanceLocal: 'Treat pairing state as instance local state (`OPENCLAW_STATE_DIR`), not a shared cluster secret.',
} as const;

/** Applies `policy.preflight.warn`: a failed check it lists becomes a warning. */
export function applyPolicy(results: CheckResult[], warn: readonly string[] | undefined): CheckResult[] {
  return results.map((r) => (r.status === 'failed' && warn?.includes(r.check) ? { ...r, status: 'warning' } : r));
}

/** One line for a failed or warning check: the check, what was found and the fix. */
export function describeCheck(r: CheckResult): string {
  return `${r.check}: ${r.found}${r.rule ? ` Runbook rule: "${r.rule}"` : ''}${r.fix ? ` Fix: ${r.fix}` : ''}`;
}

/** A path without `.`/`..`/repeated or trailing slashes (posix), for comparing paths of one host. */
export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

interface LocalStateInstance {
  id: string;
  host?: string | undefined;
  gateway: {
    stateDir?: string | undefined;
    configPath?: string | undefined;
    profile?: string | undefined;
    url?: string | undefined;
  };
}

/**
 * Runbook rule 2: no two instances on one host share a state dir or a config path (or a profile, which
 * implies both). Instances on different hosts may use the same paths. Returns a result per instance.
 */
export function instanceLocalState(instances: readonly LocalStateInstance[]): Map<string, CheckResult> {
  const owners = new Map<string, string[]>();
  const key = (host: string | undefined, what: string, value: string) =>
    `${host ?? '(central worker)'}\u0000${what}\u0000${value}`;
  for (const i of instances) {
    const g = i.gateway;
    const keys = [
      g.stateDir ? key(i.host, 'state dir', normalizePath(g.stateDir)) : undefined,
      g.configPath ? key(i.host, 'config path', normalizePath(g.configPath)) : undefined,
      g.profile && !g.stateDir ? key(i.host, 'profile', g.profile) : undefined,
    ];
    for (const k of keys) if (k) owners.set(k, [...(owners.get(k) ?? []), i.id]);
  }
  const results = new Map<string, CheckResult>();
  for (const i of instances) {
    const shared = [...owners.entries()]
      .filter(([, ids]) => ids.length > 1 && ids.includes(i.id))
      .map(([k, ids]) => {
        const [host, what, value] = k.split('\u0000');
        return `${what} ${value} on ${host} with ${ids.filter((x) => x !== i.id).join(', ')}`;
      });
    const g = i.gateway;
    if (shared.length) {
      results.set(i.id, {
        check: 'instance-local-state',
        status: 'failed',
        found: `${i.id} shares its ${shared.join('; ')}: rotating a device's token on one instance changes it on the other, and a drained instance's clients are not really moved.`,
        fix: 'give each instance its own gateway.stateDir and gateway.configPath (OPENCLAW_STATE_DIR / OPENCLAW_CONFIG_PATH).',
        rule: RUNBOOK_RULE.instanceLocal,
      });
    } else if (!g.stateDir && !g.configPath && !g.profile) {
      results.set(i.id, {
        check: 'instance-local-state',
        status: 'skipped',
        found: `${i.id} is reached by url only: its state dir is not in the inventory, so it cannot be compared.`,
      });
    } else {
      results.set(i.id, {
        check: 'instance-local-state',
        status: 'ok',
        found: `own ${[g.stateDir && 'state dir', g.configPath && 'config path', !g.stateDir && g.profile && 'profile'].filter(Boolean).join(' and ')}${i.host ? ` on ${i.host}` : ''}`,
      });
    }
  }
  return results;
}
