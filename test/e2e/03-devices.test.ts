/**
 * Runbook steps 4-5 and the emergency path on real gateways and real clients: the mismatch itself
 * (close 1008) as users see it and as the gateway log records it; rotation really invalidates the old
 * token and the client gets a new one by reconnecting with shared auth; the real node host recovers
 * (by itself, and through its reconnect hook); revoke → new pairing request → approve really works.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayActivities } from '../../src/activities/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import type { BedInfo } from '../bed/bed.js';
import type { BedGateway } from '../bed/bed-gateway.js';
import { pairTestClient, routeUrl, sharedToken } from '../bed/clients.js';
import { bed, clientIdentity, deviceNamed, runActivity } from '../bed/context.js';
import { HeldConnection, connectOnce, type DeviceIdentity } from '../bed/ws-client.js';

let info: BedInfo;
let inventory: Inventory;
let identity: DeviceIdentity;
let op: ReturnType<typeof deviceNamed>;
let homeGw: BedGateway;
let otherGw: BedGateway;
const target = (instanceId: string) => ({
  instance: inventory.instances.find((i) => i.id === instanceId)!,
  policy: inventory.policy,
});
type Failure = Error & { type?: string; nonRetryable?: boolean };

beforeAll(async () => {
  ({ info, inventory } = await bed());
  identity = await clientIdentity(info, 'op-1');
  op = deviceNamed(inventory, 'op-1');
  homeGw = info.gateways.find((g) => g.id === op.instance.id)!;
  otherGw = info.gateways.find((g) => g.id !== op.instance.id)!;
});

describe('device token mismatch, reproduced', () => {
  it("one gateway refuses another gateway's device token with close 1008, and logs it", async () => {
    const since = Date.now() - 1000;
    const token = identity.getDeviceToken(routeUrl(info, 'op-1'), 'operator')!.token;
    const out = await connectOnce({
      url: otherGw.wsUrl,
      identity,
      role: 'operator',
      scopes: op.device.scopes,
      auth: { deviceToken: token },
    });
    expect(out.kind).toBe('closed');
    if (out.kind !== 'closed') return;
    expect(out.code).toBe(1008);
    expect(out.reason).toBe('unauthorized: device token mismatch (rotate/reissue device token)');
    expect(out.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');

    const onOther = await runActivity(gatewayActivities.countTokenMismatches, target(otherGw.id), { sinceMs: since });
    expect(onOther.count).toBe(1);
    expect(onOther.samples[0]).toContain('reason=device_token_mismatch');
    const onHome = await runActivity(gatewayActivities.countTokenMismatches, target(homeGw.id), { sinceMs: since });
    expect(onHome.count).toBe(0);
  });
});

describe('rotation', () => {
  it('invalidates the old token; the client gets a new one by reconnecting with shared auth', async () => {
    const url = routeUrl(info, 'op-1');
    const oldToken = identity.getDeviceToken(url, 'operator')!.token;
    const held = new HeldConnection({ url, identity, role: 'operator', scopes: op.device.scopes, reconnect: false });
    expect((await held.start()).type).toBe('hello');
    const since = held.events.length;

    const rotated = await runActivity(gatewayActivities.rotateDeviceToken, target(homeGw.id), op.device);
    expect(rotated.deviceId).toBe(op.device.deviceId);
    expect(rotated.scopes).toEqual(op.device.scopes);
    expect(rotated.tokenDelivery).toBe('withheld-cross-device');
    expect(JSON.stringify(rotated)).not.toContain(oldToken);

    const closed = await held.waitFor((e) => e.type === 'close', 15_000, { since });
    expect(closed.type === 'close' && closed.code).toBe(4001);
    await held.stop();

    const stale = await connectOnce({
      url: homeGw.wsUrl,
      identity,
      role: 'operator',
      scopes: op.device.scopes,
      auth: { deviceToken: oldToken },
    });
    expect(stale.kind === 'closed' && stale.code).toBe(1008);
    expect(stale.kind === 'closed' && stale.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');

    const fresh = await connectOnce({
      url,
      identity,
      role: 'operator',
      scopes: op.device.scopes,
      auth: { token: await sharedToken(info) },
    });
    expect(fresh.kind).toBe('hello');
    if (fresh.kind !== 'hello') return;
    try {
      expect(fresh.deviceToken).toBeDefined();
      expect(fresh.deviceToken).not.toBe(oldToken);
      const back = await runActivity(
        gatewayActivities.waitForDeviceBack,
        target(homeGw.id),
        op.device,
        rotated.rotatedAtMs,
      );
      expect(back.back).toBe(true);
    } finally {
      await fresh.socket.close();
    }
  });

  it('a device that never reconnects is reported as not back at the deadline', async () => {
    const rotated = await runActivity(gatewayActivities.rotateDeviceToken, target(homeGw.id), op.device);
    const policy = { ...inventory.policy, reconnectDeadline: 3000 };
    const back = await runActivity(
      gatewayActivities.waitForDeviceBack,
      { instance: op.instance, policy },
      op.device,
      rotated.rotatedAtMs,
    );
    expect(back.back).toBe(false);
    // Put the client back for the tests after this one.
    const fresh = await connectOnce({
      url: routeUrl(info, 'op-1'),
      identity,
      role: 'operator',
      scopes: op.device.scopes,
      auth: { token: await sharedToken(info) },
    });
    expect(fresh.kind).toBe('hello');
    if (fresh.kind === 'hello') await fresh.socket.close();
  });

  it('a retried rotation keeps the rotation its earlier attempt made, and rotates when there was none', async () => {
    const t = target(homeGw.id);
    const scheduled = Date.now();
    const first = await runActivity(gatewayActivities.rotateDeviceToken, t, op.device);
    // Attempt 2 of the same step (the worker died after the CLI rotated): no second rotation.
    type Rotation = Awaited<ReturnType<typeof gatewayActivities.rotateDeviceToken>>;
    const retry = (scheduledTimestampMs: number) =>
      new MockActivityEnvironment({ attempt: 2, scheduledTimestampMs }).run<
        Parameters<typeof gatewayActivities.rotateDeviceToken>,
        Rotation,
        typeof gatewayActivities.rotateDeviceToken
      >(gatewayActivities.rotateDeviceToken, t, op.device);
    const retried = await retry(scheduled);
    expect(retried).toMatchObject({
      deviceId: op.device.deviceId,
      tokenDelivery: 'rotated-by-an-earlier-attempt',
      rotatedAtMs: first.rotatedAtMs,
    });
    const tokenRotatedAt = async () =>
      (await runActivity(gatewayActivities.listDevices, t)).paired
        .find((d) => d.deviceId === op.device.deviceId)
        ?.tokens.find((x) => x.role === 'operator')?.rotatedAtMs;
    expect(await tokenRotatedAt()).toBe(first.rotatedAtMs);
    // A retry of a step scheduled after that rotation has none of its own yet: it rotates.
    const later = await retry(first.rotatedAtMs + 1);
    expect(later.tokenDelivery).toBe('withheld-cross-device');
    expect(later.rotatedAtMs).toBeGreaterThan(first.rotatedAtMs);
    expect(await tokenRotatedAt()).toBe(later.rotatedAtMs);
    const fresh = await connectOnce({
      url: routeUrl(info, 'op-1'),
      identity,
      role: 'operator',
      scopes: op.device.scopes,
      auth: { token: await sharedToken(info) },
    });
    expect(fresh.kind).toBe('hello');
    if (fresh.kind === 'hello') await fresh.socket.close();
  });

  it('the real node host recovers from a rotation, and again after its reconnect hook', async () => {
    const node = deviceNamed(inventory, 'node-1');
    const t = target(node.instance.id);
    const rotated = await runActivity(gatewayActivities.rotateDeviceToken, t, node.device);
    expect(rotated.role).toBe('node');
    expect((await runActivity(gatewayActivities.waitForDeviceBack, t, node.device, rotated.rotatedAtMs)).back).toBe(
      true,
    );

    const beforeHook = Date.now();
    const hook = await runActivity(gatewayActivities.runReconnectHook, t, node.device);
    expect(hook.command).toContain('restart node-1');
    const back = await runActivity(gatewayActivities.waitForDeviceBack, t, node.device, beforeHook);
    expect(back.back).toBe(true);
  });

  it('an unknown device is a non-retryable configuration error naming the refusal', async () => {
    const err = (await runActivity(gatewayActivities.rotateDeviceToken, target(homeGw.id), {
      deviceId: 'a'.repeat(64),
      role: 'operator',
      scopes: ['operator.read'],
    }).catch((e: unknown) => e)) as Failure;
    expect(err.type).toBe('ConfigurationError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('device token rotation denied');
  });
});

describe('emergency repair path: revoke, new pairing request, approve', () => {
  it('works end to end with a real client', async () => {
    const { identity: client, home } = await pairTestClient(info, 'op-repair');
    const t = target(home.id);
    const url = routeUrl(info, 'op-repair');
    const revoked = await runActivity(gatewayActivities.revokeDeviceRole, t, client.deviceId, 'operator');
    expect(revoked.deviceId).toBe(client.deviceId);

    const list = await runActivity(gatewayActivities.listDevices, t);
    const entry = list.paired.find((d) => d.deviceId === client.deviceId);
    expect(entry?.tokens.filter((k) => k.role === 'operator' && k.revokedAtMs === undefined) ?? []).toEqual([]);

    // The client reconnects with shared auth: a new pending request (role-upgrade) appears.
    const ask = await connectOnce({
      url,
      identity: client,
      role: 'operator',
      scopes: ['operator.read', 'operator.write'],
      auth: { token: await sharedToken(info) },
    });
    expect(ask.kind === 'closed' && ask.errorCode).toBe('PAIRING_REQUIRED');
    const pending = await runActivity(gatewayActivities.listPendingRequests, t, client.deviceId);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.requestId).toBe(ask.kind === 'closed' ? ask.requestId : undefined);

    const approved = await runActivity(gatewayActivities.approvePairingRequest, t, pending[0]!.requestId);
    expect(approved.deviceId).toBe(client.deviceId);
    const hello = await connectOnce({
      url,
      identity: client,
      role: 'operator',
      scopes: ['operator.read', 'operator.write'],
      auth: { token: await sharedToken(info) },
    });
    expect(hello.kind).toBe('hello');
    if (hello.kind === 'hello') {
      expect(hello.deviceToken).toBeDefined();
      await hello.socket.close();
    }
  });

  it('approving a request id that does not exist is a non-retryable configuration error', async () => {
    const err = (await runActivity(
      gatewayActivities.approvePairingRequest,
      target(homeGw.id),
      '00000000-0000-4000-8000-000000000000',
    ).catch((e: unknown) => e)) as Failure;
    expect(err.type).toBe('ConfigurationError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('no pending request');
  });
});
