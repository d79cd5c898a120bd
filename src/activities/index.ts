/**
 * The Temporal activities: one per runbook command, each a thin wrapper that hands the plain function
 * (openclaw/, load-balancer/, preflight/) the activity's cancellation signal, a heartbeat and the policy's
 * timeout, and turns our typed errors into Temporal failures (non-retryable for misconfiguration and
 * unreadable output, retryable otherwise). Arguments carry inventory data with secret references only;
 * secrets are resolved here, on the host.
 */
import { Context } from '@temporalio/activity';
import type { Device, Instance, LoadBalancerConfig, Policy } from '../shared/inventory.js';
import { asActivity, context, keepAlive } from './activity-wrap.js';
import { backupActivities } from './backup-activities.js';
import { upgradeActivities } from './upgrade-activities.js';
import { notifyActivities } from './notify-activities.js';
import { waitForZeroSessions } from './load-balancer/drain-wait.js';
import { createLoadBalancer } from './load-balancer/index.js';
import * as oc from './openclaw/index.js';
import * as ds from './device-state.js';
import { soakEvidence } from './soak-evidence.js';
import * as pc from './preflight/index.js';
import type { MismatchQuery } from './openclaw/parse/index.js';

/** What every gateway activity gets: the instance (from the inventory) and the rollout policy. */
export interface InstanceTarget {
  instance: Instance;
  policy: Policy;
}

const cli = (t: InstanceTarget) => context(t.policy.stepTimeouts.cli);

export const gatewayActivities = {
  /** Runbook "Before you start" / step 3: `openclaw gateway status` (healthy = runtime running + RPC ok). */
  async gatewayStatus(t: InstanceTarget) {
    return asActivity(() => oc.gatewayStatus(t.instance.gateway, cli(t)));
  },
  /** `openclaw devices list`. */
  async listDevices(t: InstanceTarget) {
    return asActivity(() => oc.devicesList(t.instance.gateway, cli(t)));
  },
  /** Pending pairing requests, optionally of one device. */
  async listPendingRequests(t: InstanceTarget, deviceId?: string) {
    return asActivity(() => oc.pendingRequests(t.instance.gateway, deviceId, cli(t)));
  },
  /**
   * Runbook step 4: `openclaw devices rotate --device <id> --role <role> [--scope ...]`, once per step:
   * a retry (attempt > 1) first looks for a rotation made since the step was scheduled and keeps it.
   */
  async rotateDeviceToken(t: InstanceTarget, device: Device) {
    const info = Context.current().info;
    return asActivity(async () => {
      if (info.attempt > 1) {
        const earlier = await oc.rotationSince(t.instance.gateway, device, info.scheduledTimestampMs, cli(t));
        if (earlier) return earlier;
      }
      return oc.devicesRotate(t.instance.gateway, device, cli(t));
    });
  },
  /** Emergency path: `openclaw devices revoke --device <id> --role <role>`. */
  async revokeDeviceRole(t: InstanceTarget, deviceId: string, role: string) {
    return asActivity(() => oc.devicesRevoke(t.instance.gateway, deviceId, role, cli(t)));
  },
  /** Emergency path: `openclaw devices approve <requestId>`. */
  async approvePairingRequest(t: InstanceTarget, requestId: string) {
    return asActivity(() => oc.devicesApprove(t.instance.gateway, requestId, cli(t)));
  },
  /** End of a rollout: `openclaw devices reject <requestId>`, a request a client left on the wrong instance. */
  async rejectPairingRequest(t: InstanceTarget, requestId: string) {
    return asActivity(() => oc.devicesReject(t.instance.gateway, requestId, cli(t)));
  },
  /** Runbook step 3: `openclaw channels status --probe`. */
  async probeChannels(t: InstanceTarget) {
    return asActivity(() => oc.channelsProbe(t.instance.gateway, cli(t)));
  },
  /** canary mode: health, channels and refused connects since `sinceMs` (the soak, or preflight's baseline). */
  async soakEvidence(t: InstanceTarget, sinceMs: number) {
    return asActivity(() => soakEvidence(t.instance.gateway, sinceMs, cli(t)));
  },
  /** Verification: count `device token mismatch` refusals in a time window (bounded read, no follow). */
  async countTokenMismatches(t: InstanceTarget, query: MismatchQuery) {
    return asActivity(() => oc.countTokenMismatches(t.instance.gateway, query, cli(t)));
  },
  /** Runbook step 2: install the target version (global npm, source `openclaw update`, or a command). */
  async installVersion(t: InstanceTarget, version: string) {
    return keepAlive(() =>
      asActivity(() =>
        oc.installVersion(t.instance.gateway, t.instance.install, version, context(t.policy.stepTimeouts.update)),
      ),
    );
  },
  /** Before the drain: stage the release (`staged`) or warm npm's cache (`global`); the gateway keeps serving. */
  async prepareRelease(t: InstanceTarget, version: string) {
    return keepAlive(() =>
      asActivity(() =>
        oc.prepareRelease(t.instance.gateway, t.instance.install, version, context(t.policy.stepTimeouts.update)),
      ),
    );
  },
  /**
   * Before the drain: the staged release boots on a consistent copy of the instance's state
   * (openclaw/canary/); whether it starts by itself decides if the window needs `doctor --fix`.
   */
  async canaryBoot(t: InstanceTarget, version: string) {
    return keepAlive(() =>
      asActivity(() =>
        oc.canaryBoot(t.instance, version, {
          ...context(t.policy.stepTimeouts.update),
          readyDeadlineMs: t.policy.stepTimeouts.restart,
        }),
      ),
    );
  },
  /** Runbook step 2: `openclaw doctor` (fails on error findings only). */
  async runDoctor(t: InstanceTarget) {
    return asActivity(() => oc.doctor(t.instance.gateway, cli(t)));
  },
  /** Runbook step 3: restart and wait for a new healthy boot on `expectVersion`. */
  async restartGateway(t: InstanceTarget, expectVersion?: string) {
    const ctx = context(t.policy.stepTimeouts.restart);
    return keepAlive(() =>
      asActivity(() =>
        oc.restartGateway(t.instance.gateway, t.instance.restart, expectVersion, {
          ...ctx,
          readyDeadlineMs: t.policy.stepTimeouts.restart,
        }),
      ),
    );
  },
  /** Runbook step 5: run the device's reconnect hook (no-op result when it has none). */
  async runReconnectHook(t: InstanceTarget, device: Device) {
    if (!device.reconnectHook) return { command: null, durationMs: 0 };
    const hook = device.reconnectHook;
    return asActivity(() => oc.runReconnectHook(hook, t.instance.gateway.env, cli(t)));
  },
  /** Runbook step 5: wait until the device is connected again after its rotation. */
  async waitForDeviceBack(t: InstanceTarget, device: Pick<Device, 'deviceId' | 'role'>, rotatedAtMs: number) {
    return keepAlive(() =>
      asActivity(() =>
        oc.waitForDeviceBack(t.instance.gateway, device, rotatedAtMs, {
          ...cli(t),
          deadlineMs: t.policy.reconnectDeadline,
        }),
      ),
    );
  },
};

/** The emergency repair and `diagnose`: what one gateway knows about one device (device-state.ts). */
export const deviceStateActivities = {
  /** `devices list` + `logs`: the device's pairing entry, pending requests and refused connects since `sinceMs`. */
  async inspectDevice(t: InstanceTarget, deviceId: string, sinceMs: number) {
    return asActivity(() => ds.inspectDevice(t.instance.gateway, deviceId, sinceMs, cli(t)));
  },
  /** After a revoke: `devices list` shows no live token of `role` for the device. */
  async confirmRoleRevoked(t: InstanceTarget, deviceId: string, role: string) {
    return asActivity(() => ds.roleRevoked(t.instance.gateway, deviceId, role, cli(t)));
  },
  /** The device's pending requests made after `sinceMs` that a repair may approve (and the others, with why not). */
  async pairingRequestsSince(t: InstanceTarget, device: Pick<Device, 'deviceId' | 'role' | 'scopes'>, sinceMs: number) {
    return asActivity(() => ds.pairingRequestsSince(t.instance.gateway, device, sinceMs, cli(t)));
  },
  /** The end check of a repair: paired with the inventory's role and scopes, connected, no correlated refusals. */
  async checkDeviceRepaired(t: InstanceTarget, device: Pick<Device, 'deviceId' | 'role' | 'scopes'>, sinceMs: number) {
    return asActivity(() => ds.checkRepaired(t.instance.gateway, device, sinceMs, cli(t)));
  },
  /** Refused connects since `sinceMs`, attributed to the given devices by correlation (after-rejoin check). */
  async refusalsByDevice(t: InstanceTarget, deviceIds: string[], sinceMs: number) {
    return asActivity(() => ds.refusalsByDevice(t.instance.gateway, deviceIds, sinceMs, cli(t)));
  },
};

/** The load-balancer activities (runbook steps 1 and 6), for any adapter the inventory names. */
export const loadBalancerActivities = {
  /** Runbook step 1: take the server out of rotation (existing sessions stay). Idempotent. */
  async lbDrain(lb: LoadBalancerConfig, server: string) {
    return asActivity(() => createLoadBalancer(lb, { signal: Context.current().cancellationSignal }).drain(server));
  },
  /** Runbook step 6: return the server to traffic. Idempotent. */
  async lbReady(lb: LoadBalancerConfig, server: string) {
    return asActivity(() => createLoadBalancer(lb, { signal: Context.current().cancellationSignal }).ready(server));
  },
  /** What the load balancer says about the server (admin state, status, sessions). */
  async lbState(lb: LoadBalancerConfig, server: string) {
    return asActivity(() => createLoadBalancer(lb, { signal: Context.current().cancellationSignal }).state(server));
  },
  /** Waits until the server has no sessions left, or the deadline passes (then drained: false). */
  async lbWaitDrained(lb: LoadBalancerConfig, server: string, deadlineMs: number) {
    const ctx = Context.current();
    const balancer = createLoadBalancer(lb, { signal: ctx.cancellationSignal });
    return keepAlive(() =>
      asActivity(() =>
        waitForZeroSessions(() => balancer.sessions(server), {
          deadlineMs,
          pollMs: 1000,
          signal: ctx.cancellationSignal,
          onProgress: (sessions) => ctx.heartbeat({ sessions }),
        }),
      ),
    );
  },
};

/** The checks `plan` and `start` run before anything changes (preflight/); read-only. */
export const preflightActivities = {
  /** target-exists + node-engine: the registry (through the instance's npm) or `openclaw update --dry-run` knows `version`, and its engines.node accepts the instance's Node. */
  async preflightTarget(t: InstanceTarget, version: string) {
    return asActivity(() => pc.checkTarget(t.instance, version, cli(t)));
  },
  /** host-commands + disk-space, on the instance's host. */
  async preflightHost(t: InstanceTarget) {
    return asActivity(async () => [
      await pc.checkHostCommands(t.instance),
      await pc.checkDiskSpace(t.instance, cli(t)),
    ]);
  },
  /** sticky-routing (runbook rule 1), on the central worker. */
  async preflightRouting(lb: LoadBalancerConfig) {
    const ctx = Context.current();
    return asActivity(() => pc.checkStickyRouting(lb, { timeoutMs: 30_000, signal: ctx.cancellationSignal }));
  },
  /** The openclaw version installed for the instance (not necessarily running), or null when none is. */
  async installedVersion(t: InstanceTarget): Promise<string | null> {
    return asActivity(() => pc.installedVersion(t.instance, cli(t)));
  },
};

/** All activities a worker serves. */
export function createActivities() {
  return {
    ...gatewayActivities,
    ...deviceStateActivities,
    ...loadBalancerActivities,
    ...backupActivities,
    ...preflightActivities,
    ...upgradeActivities,
    ...notifyActivities,
  };
}
export type Activities = ReturnType<typeof createActivities>;

/**
 * What the central worker's queue serves: the load balancer, notifications and the cluster's routing
 * check (no host's files or CLI). The workflows' proxies are typed by queue (workflows/activity-options.ts),
 * so the compiler refuses a host command scheduled on the central queue, and the reverse.
 */
export type CentralActivities = typeof loadBalancerActivities &
  typeof notifyActivities &
  Pick<typeof preflightActivities, 'preflightRouting'>;
/** What an instance's host queue serves: its CLI, installs, backups, service commands and hooks. */
export type HostActivities = Omit<Activities, keyof CentralActivities>;
