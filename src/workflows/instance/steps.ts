/**
 * The runbook steps that both the way forward and the rollback take: drain and wait for sessions,
 * doctor, restart and verify, rotate the devices and run their reconnect hooks.
 */
import { isPatched } from '../patches.js';
import { startedAhead } from './prepare.js';
import { checkFailed, deviceLabel, type InstanceRun } from './run.js';

/** Runbook step 1: drain, then wait for sessions to leave (at the deadline the rest are cut by the restart). */
export async function drainAndWait(r: InstanceRun, labelSuffix: string): Promise<void> {
  const { input, instance, policy } = r;
  await r.step(
    'drain',
    `drain${labelSuffix}`,
    () => r.lb.lbDrain(input.loadBalancer, instance.lbServer),
    () => `${instance.lbServer} set to drain`,
  );
  const drained = await r.step(
    'wait-drain',
    `wait for sessions to drain${labelSuffix}`,
    () => r.drainWait.lbWaitDrained(input.loadBalancer, instance.lbServer, policy.drainDeadline),
    (w) =>
      w.drained
        ? `0 sessions after ${Math.round(w.waitedMs / 1000)} s`
        : `${w.sessions} sessions left at the ${policy.drainDeadline / 1000} s deadline`,
  );
  r.progress.sessions = drained.sessions;
}

/** `openclaw doctor`, read-only: errors (or a migration it asks for) fail the step. */
export function runDoctor(r: InstanceRun, labelSuffix: string, call = () => r.quick.runDoctor(r.target)) {
  return r.step(
    'doctor',
    `doctor${labelSuffix}`,
    () =>
      call().then((d) => {
        // A migration doctor asks for is an error here too (the documented update runs doctor --fix for it).
        if (!d.passed)
          throw checkFailed(`doctor reported errors: ${[...d.errors, ...(d.blockingMigrations ?? [])].join('; ')}`);
        return d;
      }),
    (d) => `${d.warnings.length} warnings, no errors`,
  );
}

/**
 * Runbook step 3's checks: healthy on `version`, channels probe healthy. The two CLI calls run side by
 * side and are recorded one after the other (patched: older histories ran them in turn).
 */
export async function verifyRunning(r: InstanceRun, version: string): Promise<void> {
  await r.setPhase('Verifying');
  const status = () => r.quick.gatewayStatus(r.target);
  const channels = () => r.quick.probeChannels(r.target);
  const together = isPatched('parallel-checks-v1');
  const statusCall = together ? startedAhead(status(), status) : status;
  const channelsCall = together ? startedAhead(channels(), channels) : channels;
  await r.step(
    'verify-status',
    'verify gateway status',
    () =>
      statusCall().then((s) => {
        if (!s.healthy || s.version !== version)
          throw checkFailed(
            `gateway ${s.healthy ? 'healthy' : 'not healthy'} on ${s.version}, expected healthy on ${version}`,
          );
        return s;
      }),
    (s) => `healthy, RPC ok, ${s.version}`,
  );
  await r.step(
    'verify-channels',
    'verify channels probe',
    () =>
      channelsCall().then((c) => {
        if (!c.healthy)
          throw checkFailed(`channels probe not healthy: ${c.issues.join('; ') || 'gateway not reachable'}`);
        return c;
      }),
    (c) => `${c.channels.length} channels, healthy`,
  );
}

/**
 * The stop of the update sequences (the documented one and `source`) and of the rollback (`suffix`): the
 * gateway stays down until startGatewayStep, and the way back (way-back.ts) knows it is stopped.
 */
export async function stopForUpdate(r: InstanceRun, suffix = ''): Promise<void> {
  r.state.stopped = true;
  await r.step(
    'stop',
    `stop gateway${suffix}`,
    () => r.restart.stopGateway(r.target),
    (x) => `${x.command}`,
  );
}

/** Starts the stopped gateway on `version` and checks it runs healthy (runbook step 3). */
export async function startAndVerify(r: InstanceRun, version: string): Promise<void> {
  await startGatewayStep(r, version);
  await verifyRunning(r, version);
}

/** Starts the stopped gateway; the step ends when its /readyz answers and /startupz names `version`. */
export async function startGatewayStep(r: InstanceRun, version: string, suffix = ''): Promise<void> {
  await r.setPhase('Restarting');
  const started = await r.step(
    'start',
    `start gateway${suffix}`,
    () => r.restart.startGateway(r.target, version),
    (x) => `now ${x.version}`,
  );
  r.state.stopped = false;
  r.progress.versionAfter = started.version;
}

/** Restart on `version` and check it runs healthy (runbook step 3). */
export async function restartAndVerify(r: InstanceRun, version: string): Promise<void> {
  await r.setPhase('Restarting');
  r.state.ran = true;
  const restarted = await r.step(
    'restart',
    'restart',
    () => r.restart.restartGateway(r.target, version),
    (x) => `now ${x.after.version}, down ${Math.round(x.downMs / 1000)} s`,
  );
  r.progress.versionAfter = restarted.after.version;
  await verifyRunning(r, version);
}

/** Runbook steps 4-5: rotate the instance's devices, then make their clients reconnect. */
export async function rotateAndReconnect(r: InstanceRun): Promise<void> {
  await rotateWithoutHooks(r);
  for (const device of r.instance.devices.filter((d) => d.reconnectHook)) {
    await r.step(
      'reconnect-hook',
      `reconnect hook ${deviceLabel(device)}`,
      () => r.quick.runReconnectHook(r.target, device),
      (h) => `${h.command}`,
    );
  }
}

/**
 * Runbook step 4 alone, as the client window runs it: no reconnect hook while the instance is out of
 * traffic (a client reconnecting through the load balancer now lands on another instance that does not
 * know it, runbook cause 2; the hooks run after the rejoin). The checks run before it, not beside it: a
 * check that fails after a rotation makes the rollback rotate again on the restored state, which
 * 2026.8.2 refused ("device token rotation denied", the CI's 04f).
 */
export async function rotateWithoutHooks(r: InstanceRun): Promise<void> {
  await r.setPhase('RotatingTokens');
  for (const device of r.instance.devices) {
    const x = await r.step(
      'rotate',
      `rotate ${deviceLabel(device)} (${device.role})`,
      () => r.quick.rotateDeviceToken(r.target, device),
      (t) => `token ${t.tokenDelivery ?? 'rotated'}`,
    );
    r.rotations.push({ deviceId: device.deviceId, role: device.role, rotatedAtMs: x.rotatedAtMs });
  }
}
