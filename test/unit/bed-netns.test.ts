/** The bed's gateway-host namespace: names that fit Linux's limits and differ per bed, addresses in a /30 of 10.213.0.0/16. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { candidateSubnets, createNetns, inNetns, netnsNames } from '../bed/netns.js';

describe('the bed namespace', () => {
  it('names fit an interface name (15 characters) and differ between two beds', () => {
    const a = netnsNames('/work/main/.bed/current');
    const b = netnsNames('/work/main/.bed/helper-netns');
    for (const n of [a.hostVeth, a.nsVeth, b.hostVeth, b.nsVeth]) expect(n.length).toBeLessThanOrEqual(15);
    expect(a.name).not.toBe(b.name);
    expect(a.hostVeth).not.toBe(b.hostVeth);
    expect(netnsNames('/work/main/.bed/current')).toEqual(a);
  });

  it('tries distinct /30s of 10.213.0.0/16: .1 on the root side, .2 inside', () => {
    const subnets = candidateSubnets('/work/main/.bed/current');
    expect(new Set(subnets.map((s) => s.hostAddress)).size).toBe(subnets.length);
    for (const { hostAddress, nsAddress } of subnets) {
      const [a, b, c, d] = hostAddress.split('.').map(Number);
      expect([a, b]).toEqual([10, 213]);
      expect(c).toBeLessThan(256);
      expect(d! % 4).toBe(1);
      expect(nsAddress).toBe(`10.213.${c}.${d! + 1}`);
    }
    expect(candidateSubnets('/work/main/.bed/helper-netns')[0]).not.toEqual(subnets[0]);
  });

  it('runs a command inside it with ip netns exec', () => {
    expect(inNetns({ name: 'ocr-1' }, ['node', '-v'], '/usr/sbin/ip')).toEqual([
      '/usr/sbin/ip',
      'netns',
      'exec',
      'ocr-1',
      'node',
      '-v',
    ]);
  });

  describe('on a machine that cannot make one', () => {
    const path = process.env.PATH;
    afterEach(() => {
      vi.restoreAllMocks();
      process.env.PATH = path;
    });
    it('not root: fails naming root', async () => {
      vi.spyOn(process, 'getuid').mockReturnValue(1000);
      await expect(createNetns('/tmp/no-such-bed')).rejects.toThrow(/namespaced gateway host needs root/);
    });
    it('no iproute2: fails naming `ip netns` and its package', async () => {
      vi.spyOn(process, 'getuid').mockReturnValue(0);
      process.env.PATH = '/nonexistent';
      await expect(createNetns('/tmp/no-such-bed')).rejects.toThrow(
        /needs iproute2's `ip netns` \(apt-get install iproute2\)/,
      );
    });
  });
});
