/**
 * Which pending pairing requests a rollout rejects at its end (shared/stray-requests.ts): those its
 * clients left on another instance while their home was out of traffic, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import {
  describeStrays,
  requestsFromOtherDevices,
  strayRequests,
  type StrayRequestOutcome,
} from '../../src/shared/stray-requests.js';

const STARTED = 1_800_000_000_000;
const inventory = {
  instances: [
    { id: 'gw-1', devices: [{ deviceId: 'op-of-gw-1' }] },
    { id: 'gw-2', devices: [{ deviceId: 'node-of-gw-2' }, { deviceId: 'shared-device' }] },
    { id: 'gw-3', devices: [{ deviceId: 'shared-device' }] },
  ],
};

describe('requestsFromOtherDevices (what the final check keeps of one instance’s devices list)', () => {
  const list = {
    pending: [
      { requestId: 'r-home', deviceId: 'node-of-gw-2', ts: STARTED + 5 }, // listed here: a repair of its own
      { requestId: 'r-paired', deviceId: 'paired-here', ts: STARTED + 5 }, // paired here (a scope upgrade)
      { requestId: 'r-before', deviceId: 'op-of-gw-1', ts: STARTED - 1 }, // older than the rollout
      { requestId: 'r-no-time', deviceId: 'op-of-gw-1' }, // cannot be placed in time
      { requestId: 'r-new', deviceId: 'op-of-gw-1', ts: STARTED },
    ],
    paired: [{ deviceId: 'paired-here' }],
  };
  it('keeps requests made since the rollout started by devices neither listed nor paired here', () => {
    expect(requestsFromOtherDevices(list, ['node-of-gw-2', 'shared-device'], STARTED)).toEqual([
      { requestId: 'r-new', deviceId: 'op-of-gw-1', ts: STARTED },
    ]);
  });
});

describe('strayRequests', () => {
  it('are the new requests whose device the inventory lists on another instance, with that home', () => {
    const seen = [
      { instance: 'gw-2', newRequests: [{ requestId: 'a', deviceId: 'op-of-gw-1', ts: STARTED }] },
      { instance: 'gw-1', newRequests: [{ requestId: 'b', deviceId: 'shared-device', ts: STARTED }] },
      { instance: 'gw-3', newRequests: [{ requestId: 'c', deviceId: 'a-new-phone', ts: STARTED }] },
      { instance: 'gw-3' },
    ];
    expect(strayRequests(inventory, seen)).toEqual([
      { instance: 'gw-2', requestId: 'a', deviceId: 'op-of-gw-1', ts: STARTED, home: ['gw-1'] },
      { instance: 'gw-1', requestId: 'b', deviceId: 'shared-device', ts: STARTED, home: ['gw-2', 'gw-3'] },
    ]);
  });
});

describe('describeStrays', () => {
  const one = (o: Partial<StrayRequestOutcome>): StrayRequestOutcome => ({
    instance: 'gw-2',
    requestId: 'a',
    deviceId: 'op-of-gw-1-0123456789',
    home: ['gw-1'],
    rejected: true,
    ...o,
  });
  it('says nothing when there were none', () => expect(describeStrays([])).toBeUndefined());
  it('names each rejected request by device, home and where it was left', () => {
    expect(describeStrays([one({})])).toBe(
      'rejected 1 pairing request clients left on another instance while their home was out of traffic: op-of-gw-1-0 (home gw-1) on gw-2',
    );
  });
  it('says what to do with one it could not reject', () => {
    const line = describeStrays([one({ rejected: false, error: 'gateway not reachable' })])!;
    expect(line).toContain('could not reject op-of-gw-1-0 (home gw-1) on gw-2 (gateway not reachable)');
    expect(line).toContain('do not approve them (`openclaw devices reject <requestId>` on that instance');
  });
});
