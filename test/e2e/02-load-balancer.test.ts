/**
 * Runbook steps 1 and 6 on the real HAProxy: draining a gateway really stops new connections from
 * reaching it while existing ones stay, sessions are counted and waited for, and `ready` brings the
 * gateway back. The drained window is also where users meet `device token mismatch` (runbook cause 2):
 * a sticky client routed to another gateway whose pairing store does not know it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { loadBalancerActivities, gatewayActivities } from '../../src/activities/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import type { BedInfo } from '../bed/bed.js';
import { routeUrl } from '../bed/clients.js';
import { bed, clientIdentity, deviceNamed, runActivity } from '../bed/context.js';
import { HeldConnection, connectOnce, type DeviceIdentity } from '../bed/ws-client.js';

let info: BedInfo;
let inventory: Inventory;
let identity: DeviceIdentity;
let home: ReturnType<typeof deviceNamed>;
let homeBoot: string | null;
const lb = () => inventory.loadBalancer;

beforeAll(async () => {
  ({ info, inventory } = await bed());
  identity = await clientIdentity(info, 'op-1');
  home = deviceNamed(inventory, 'op-1');
  homeBoot = (await runActivity(gatewayActivities.gatewayStatus, { instance: home.instance, policy: inventory.policy }))
    .bootId;
});
afterAll(async () => {
  // Leave the shared bed as we found it.
  await runActivity(loadBalancerActivities.lbReady, lb(), home.instance.lbServer);
});

const viaLb = () =>
  connectOnce({ url: routeUrl(info, 'op-1'), identity, role: 'operator', scopes: home.device.scopes, auth: 'stored' });

describe('HAProxy drain and ready', () => {
  it('routes a device to its home gateway while it takes traffic', async () => {
    const out = await viaLb();
    expect(out.kind).toBe('hello');
    if (out.kind === 'hello') {
      expect(out.server.bootId).toBe(homeBoot);
      await out.socket.close();
    }
  });

  it('drain keeps existing connections, sends new ones elsewhere, and counts sessions down to 0', async () => {
    const held = new HeldConnection({
      url: routeUrl(info, 'op-1'),
      identity,
      role: 'operator',
      scopes: home.device.scopes,
      reconnect: false,
    });
    const first = await held.start();
    expect(first.type).toBe('hello');
    try {
      await runActivity(loadBalancerActivities.lbDrain, lb(), home.instance.lbServer);
      const state = await runActivity(loadBalancerActivities.lbState, lb(), home.instance.lbServer);
      expect(state.admin).toBe('drain');
      expect(state.sessions).toBeGreaterThanOrEqual(1);
      expect(held.connected).toBe(true);

      // A new connection of the same device lands on another gateway, which does not know its token:
      // exactly what users see during a rollout without sticky-aware draining.
      const moved = await viaLb();
      expect(moved.kind).toBe('closed');
      if (moved.kind === 'closed') {
        expect(moved.code).toBe(1008);
        expect(moved.reason).toMatch(/^unauthorized: device token mismatch/);
      }

      const stillBusy = await runActivity(loadBalancerActivities.lbWaitDrained, lb(), home.instance.lbServer, 3000);
      expect(stillBusy.drained).toBe(false);
      expect(stillBusy.sessions).toBeGreaterThanOrEqual(1);

      // Cancellation reaches the wait (the workflow cancelling the step): it stops at once.
      const env = new MockActivityEnvironment();
      const started = Date.now();
      const waiting = env.run(loadBalancerActivities.lbWaitDrained, lb(), home.instance.lbServer, 120_000).then(
        () => 'finished',
        (e: unknown) => e,
      );
      setTimeout(() => env.cancel(), 1000);
      const cancelled = await waiting;
      expect(cancelled).not.toBe('finished');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(held.connected).toBe(true);
    } finally {
      await held.stop();
    }
    const drained = await runActivity(loadBalancerActivities.lbWaitDrained, lb(), home.instance.lbServer, 20_000);
    expect(drained.drained).toBe(true);
    expect(drained.sessions).toBe(0);
  });

  it('draining twice is harmless (idempotent)', async () => {
    await runActivity(loadBalancerActivities.lbDrain, lb(), home.instance.lbServer);
    expect((await runActivity(loadBalancerActivities.lbState, lb(), home.instance.lbServer)).admin).toBe('drain');
  });

  it('ready returns the gateway to traffic: the device reaches its home again', async () => {
    await runActivity(loadBalancerActivities.lbReady, lb(), home.instance.lbServer);
    const state = await runActivity(loadBalancerActivities.lbState, lb(), home.instance.lbServer);
    expect(state.admin).toBe('ready');
    const back = await viaLb();
    expect(back.kind).toBe('hello');
    if (back.kind === 'hello') {
      expect(back.server.bootId).toBe(homeBoot);
      await back.socket.close();
    }
  });

  it('an unknown server is a clear, non-retryable configuration error', async () => {
    const err = (await runActivity(loadBalancerActivities.lbDrain, lb(), 'gw-nope').catch(
      (e: unknown) => e,
    )) as Error & { type?: string; nonRetryable?: boolean };
    expect(err).toBeInstanceOf(Error);
    expect(err.type).toBe('ConfigurationError');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('gw-nope');
  });
});
