/**
 * sticky-routing (runbook rule 1): the load balancer routes each client device to one instance.
 */
import { readFile } from 'node:fs/promises';
import type { LoadBalancerConfig } from '../../shared/inventory.js';
import { RUNBOOK_RULE, type CheckResult } from '../../shared/preflight-rules.js';
import { quote } from '../host/redact.js';
import { outputTail } from '../host/npm-errors.js';
import type { CallContext } from '../call-context.js';
import { runtimeCommand } from '../load-balancer/haproxy.js';
import { parseBackendBalance } from '../load-balancer/haproxy-stat.js';
import { capture } from './capture.js';

// Routing

/** Balance algorithms that hash something of the request, so one client keeps its server. */
const HASHING = new Set(['source', 'uri', 'url_param', 'hdr', 'rdp-cookie', 'hash']);

const CAUSE2 =
  'During every drain (and, with this backend, on any reconnect) a client lands on another instance whose pairing store does not know its device token: `disconnected (1008): unauthorized: device token mismatch` (runbook cause: "The client was routed to a different Gateway instance with a different device pairing store.").';

/** What haproxy.cfg says about one backend: balance, hash-type, stick rules, cookie persistence. */
export function haproxyBackendConfig(
  cfg: string,
  backend: string,
): { found: boolean; balance?: string; hashType?: string; stick: boolean; cookie: boolean } {
  const lines = cfg.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  let inside = false;
  let found = false;
  const out: { balance?: string; hashType?: string; stick: boolean; cookie: boolean } = { stick: false, cookie: false };
  for (const l of lines) {
    const section =
      /^(backend|listen|frontend|defaults|global|peers|resolvers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/.exec(
        l,
      );
    if (section) {
      inside = (section[1] === 'backend' || section[1] === 'listen') && section[2] === backend;
      found ||= inside;
      continue;
    }
    if (!inside) continue;
    const balance = /^balance\s+(.+)$/.exec(l);
    if (balance) out.balance = balance[1]!.trim();
    const hash = /^hash-type\s+(.+)$/.exec(l);
    if (hash) out.hashType = hash[1]!.trim();
    if (/^(stick-table|stick\s+(on|match|store-request))\b/.test(l)) out.stick = true;
    if (/^cookie\s+\S+/.test(l)) out.cookie = true;
  }
  return { found, ...out };
}

/**
 * sticky-routing (runbook rule 1): for HAProxy, the backend's balance algorithm (runtime API `show
 * stat`, field algo), its stick table (`show table`) and, when loadBalancer.config names haproxy.cfg,
 * hash-type and cookie persistence; for the command adapter, its optional stickyCheck command.
 */
export async function checkStickyRouting(lb: LoadBalancerConfig, ctx: CallContext): Promise<CheckResult> {
  if (lb.type === 'none')
    return { check: 'sticky-routing', status: 'skipped', found: 'loadBalancer.type none: no load balancer to check.' };
  if (lb.type === 'command') {
    if (!lb.stickyCheck)
      return {
        check: 'sticky-routing',
        status: 'skipped',
        found:
          'loadBalancer.stickyCheck is not set: routing stickiness is not checked (add a command that exits 0 when routing is sticky per client device).',
        rule: RUNBOOK_RULE.sticky,
      };
    const r = await capture(lb.stickyCheck, {}, ctx);
    return r.exitCode === 0
      ? {
          check: 'sticky-routing',
          status: 'ok',
          found: `\`${r.command}\` exited 0${r.stdout.trim() ? `: ${quote(r.stdout.trim(), 200)}` : ''}`,
        }
      : {
          check: 'sticky-routing',
          status: 'failed',
          found: `\`${r.command}\` exited with code ${r.exitCode}: ${outputTail(r.stderr, r.stdout, 6, 600)} ${CAUSE2}`,
          fix: 'make the load balancer route each client device to one instance (a hash of a per-device key, or a stick table), then run the check again.',
          rule: RUNBOOK_RULE.sticky,
        };
  }
  const opts = { signal: ctx.signal, timeoutMs: Math.min(ctx.timeoutMs, 10_000) };
  const row = parseBackendBalance(await runtimeCommand(lb.socket, 'show stat', opts), lb.backend);
  if (!row)
    return {
      check: 'sticky-routing',
      status: 'failed',
      found: `HAProxy at ${lb.socket} has no backend "${lb.backend}".`,
      fix: 'set loadBalancer.backend to the backend that serves the gateways.',
    };
  const algo = row.algo;
  const tables = await runtimeCommand(lb.socket, 'show table', opts).catch(() => '');
  const stickTable = new RegExp(`^# table: ${lb.backend.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},`, 'm').test(tables);
  const cfg = lb.config ? haproxyBackendConfig(await readFile(lb.config, 'utf8'), lb.backend) : undefined;
  const cookie = !!row.cookie || !!cfg?.cookie;
  const stick = stickTable || !!cfg?.stick;
  const what = `backend ${lb.backend} balances with "${cfg?.balance ?? algo}"${cfg?.hashType ? ` (hash-type ${cfg.hashType})` : ''}, ${stick ? 'with' : 'no'} stick table, ${cookie ? 'with' : 'no'} cookie persistence`;
  if (HASHING.has(algo) || stick || cookie) {
    const mapBased = cfg && HASHING.has(algo) && !cfg.stick && !cfg.cookie && !/consistent/.test(cfg.hashType ?? '');
    return {
      check: 'sticky-routing',
      status: 'ok',
      found: `${what}: sticky per client${mapBased ? ' (hash-type map-based: a drain may move clients of other instances too; `hash-type consistent` keeps them where they are)' : ''}${cfg ? '' : ' (runtime API)'}`,
    };
  }
  return {
    check: 'sticky-routing',
    status: 'failed',
    found: `${what}: one client's connections are spread across instances. ${CAUSE2}`,
    fix: `in haproxy.cfg, backend ${lb.backend}: hash a per-device key (e.g. \`balance hdr(X-Device)\` or \`balance source\`) with \`hash-type consistent\`, or add a stick table; reload HAProxy, then run plan again.`,
    rule: RUNBOOK_RULE.sticky,
  };
}
