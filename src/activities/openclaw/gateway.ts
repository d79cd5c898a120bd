/**
 * The gateway's own state: `openclaw gateway status` (healthy = runtime running + RPC ok), its
 * /startupz version, and a restart that waits for a new healthy boot on the expected version.
 */
import { CheckFailedError, TransientError } from '../../shared/errors.js';
import type { GatewayAccess } from '../../shared/inventory.js';
import { quote } from '../host/redact.js';
import { runHostCommand } from '../host/exec.js';
import { pause, type CallContext } from '../call-context.js';
import { cliRelease } from './capabilities.js';
import { describeFailure, runCli } from './cli.js';
import * as parse from './parse/index.js';

/** `openclaw gateway status --json --require-rpc`: healthy means runtime running and RPC probe ok. */
export async function gatewayStatus(access: GatewayAccess, ctx: CallContext): Promise<parse.GatewayStatus> {
  const r = await runCli(access, {
    args: ['gateway', 'status', '--json', '--require-rpc', '--timeout', '10000'],
    remote: true,
    ...ctx,
  });
  // Exit 1 with --require-rpc means "RPC probe failed": the JSON still says what is down.
  const s = parse.parseGatewayStatus(r, { remote: access.url !== undefined });
  if (!s.rpcOk || s.version || access.url !== undefined) return s;
  // 2026.4.1's status names no version (no rpc.version, no rpc.server): a local gateway runs from the
  // install its CLI is, so the CLI's own `--version` is the version (weaker: it cannot tell a process
  // left running from an older install).
  return { ...s, version: await cliRelease(access, ctx) };
}

/**
 * The version a gateway's /startupz reports (cheap, no auth), or null while it is not up, or when the
 * release has no /startupz (ready true, version null: service.ts then asks `gateway status`).
 */
export async function startupVersion(
  httpUrl: string,
  signal?: AbortSignal,
): Promise<{ ready: boolean; version: string | null }> {
  try {
    const ready = await fetch(`${httpUrl}/readyz`, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(3000)]) : AbortSignal.timeout(3000),
    });
    if (!ready.ok) return { ready: false, version: null };
    // Releases before /startupz (2026.7.35, 2026.4.1) answer it with the Control UI's HTML: ready, version unknown.
    const res = await fetch(`${httpUrl}/startupz`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    const json = res?.ok && /json/.test(res.headers.get('content-type') ?? '');
    const body = json ? ((await res.json().catch(() => ({}))) as { version?: unknown }) : {};
    return { ready: true, version: typeof body.version === 'string' ? body.version : null };
  } catch {
    return { ready: false, version: null };
  }
}

/** Whether `<httpUrl>/startupz` answers 200: started and not draining (no auth, a few ms). */
export async function startupzOk(httpUrl: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const timeout = AbortSignal.timeout(3000);
    const res = await fetch(`${httpUrl}/startupz`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.body?.cancel();
    return res.ok;
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

/**
 * Waits until `gateway status` satisfies `done`, or the deadline. With the gateway's http address it
 * first waits for `/startupz` (polled every 250 ms), so the 2-20 s CLI call runs once the gateway is
 * up rather than every 2 s while it boots. Returns the last status read (undefined: none answered).
 */
export async function waitForStatus(
  access: GatewayAccess,
  httpUrl: string | undefined,
  done: (s: parse.GatewayStatus) => boolean,
  ctx: CallContext & { deadline: number; step: string },
): Promise<parse.GatewayStatus | undefined> {
  const started = Date.now();
  const statusCtx = { ...ctx, timeoutMs: 60_000 };
  let last: parse.GatewayStatus | undefined;
  while (Date.now() < ctx.deadline) {
    ctx.signal?.throwIfAborted();
    ctx.heartbeat?.({ step: ctx.step, waitedMs: Date.now() - started });
    if (httpUrl && !(await startupzOk(httpUrl, ctx.signal))) {
      await pause(250, ctx.signal);
      continue;
    }
    last = await gatewayStatus(access, statusCtx).catch(() => undefined);
    if (last && done(last)) return last;
    await pause(httpUrl ? 500 : 2000, ctx.signal);
  }
  return last;
}

/** The gateway's http address when the inventory gives it (gateway.httpUrl, or derived from gateway.url). */
export function knownHttpUrl(access: GatewayAccess): string | undefined {
  if (access.httpUrl) return access.httpUrl.replace(/\/+$/, '');
  if (!access.url) return undefined;
  const u = new URL(access.url);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

export interface RestartOutcome {
  command: string;
  before: parse.GatewayStatus;
  after: parse.GatewayStatus;
  downMs: number;
}

/**
 * Restarts the gateway (the inventory's restart command, else `openclaw gateway restart`), waits until
 * it answers again with a new boot, and checks the version it reports. An in-process restart that keeps
 * the old code is a failed step: `expectVersion` must match.
 */
export async function restartGateway(
  access: GatewayAccess,
  restart: string[] | undefined,
  expectVersion: string | undefined,
  ctx: CallContext & { readyDeadlineMs: number },
): Promise<RestartOutcome> {
  const statusCtx = { ...ctx, timeoutMs: 60_000 };
  const before = await gatewayStatus(access, statusCtx).catch(() => undefined);
  const started = Date.now();
  let command: string;
  if (restart) {
    ({ command } = await runHostCommand({
      what: 'restart command',
      argv: restart,
      env: access.env,
      expected: '0 with the gateway restarted',
      field: `the instance's restart`,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    }));
  } else {
    const r = await runCli(access, { args: ['gateway', 'restart', '--json'], ...ctx });
    command = r.byHand;
    const res = parse.parseRestart(r);
    if (!res.ok)
      throw new TransientError(
        describeFailure(
          r,
          `{"ok": true} from gateway restart (it said ${res.result ?? 'not ok'}: ${quote(res.message ?? '', 300)})`,
        ),
      );
  }
  // Wait for a new boot that answers RPC.
  const newBoot = (s: parse.GatewayStatus) => s.healthy && (!before?.bootId || s.bootId !== before.bootId);
  const last = await waitForStatus(access, knownHttpUrl(access), newBoot, {
    ...ctx,
    deadline: Date.now() + ctx.readyDeadlineMs,
    step: 'restart',
  });
  if (!last?.healthy || (before?.bootId && last.bootId === before.bootId)) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway did not come back healthy with a new boot within ${ctx.readyDeadlineMs / 1000} s ` +
        `(last status: ${last ? `rpc ${last.rpcOk ? 'ok' : 'failed'}, version ${last.version}, boot ${last.bootId}` : 'no answer'}). ` +
        'Check it with `openclaw gateway status` and its log.',
    );
  }
  if (expectVersion && last.version !== expectVersion) {
    throw new CheckFailedError(
      `after \`${command}\` the gateway runs ${last.version}, not ${expectVersion}: the restart did not load the new install ` +
        "(an in-process `openclaw gateway restart` keeps the old code). Set the instance's restart command to one that replaces the process (e.g. `supervisorctl restart <program>` or `systemctl restart <unit>`).",
    );
  }
  return { command, before: before ?? last, after: last, downMs: Date.now() - started };
}
