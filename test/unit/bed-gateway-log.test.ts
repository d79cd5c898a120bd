// A bed that fails to start says why in the gateway's own words: the end of its captured stdout log that
// explains the failure, each line once, not the startup chatter before it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayWords } from '../bed/gateway-log.js';
import { bedDirFromEnv } from '../bed/bed.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8');

describe("the gateway's words from its log", () => {
  it('a port held by another process: the failure and who holds the port, from the last start only', () => {
    expect(gatewayWords(fixture('gateway-run.port-in-use.stdout.txt'))).toEqual([
      'Gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:47311 | listen EADDRINUSE: address already in use 127.0.0.1:47311 | EADDRINUSE',
      'If the gateway is supervised, stop it with: openclaw gateway stop',
      'Port 47311 is already in use.',
      "- pid 1018 root: node -e require('net').createServer().listen(47311,'127.0.0.1'); setTimeout(()=>{}, 120000) (127.0.0.1:47311)",
      '- Another process is listening on this port.',
    ]);
  });

  it('an older binary on a migrated state, refused on every restart: said once', () => {
    const once = fixture('gateway-run.older-release-on-migrated-state.txt');
    const words = gatewayWords(once.repeat(5));
    expect(words).toEqual(once.trimEnd().split('\n'));
    expect(words[0]).toMatch(/^Refusing to run automatic gateway startup migrations/);
  });

  it('still starting, nothing failed: the last lines say where it got to', () => {
    const log = ['[gateway] loading configuration…', '[gateway] resolving authentication…', '[gateway] starting...'];
    const stamped = log.map((l, i) => `2026-12-07T20:14:3${i}.000+00:00 ${l}`).join('\n');
    expect(gatewayWords(stamped, 2)).toEqual(['[gateway] resolving authentication…', '[gateway] starting...']);
    expect(gatewayWords('')).toEqual([]);
  });

  it('never repeats a secret the log holds', () => {
    const token = 'a'.repeat(8) + 'Zk3'.repeat(12);
    expect(gatewayWords(`Gateway failed to start: bad token ${token}`).join('\n')).not.toContain(token);
  });
});

describe('OPENCLAW_ROLLOUT_BED_DIR', () => {
  it('is made absolute against the directory it was given in (supervisord runs elsewhere)', () => {
    expect(bedDirFromEnv('demo', { OPENCLAW_ROLLOUT_BED_DIR: '.bed/mine' }, '/home/op/checkout')).toBe(
      '/home/op/checkout/.bed/mine',
    );
    expect(bedDirFromEnv('demo', { OPENCLAW_ROLLOUT_BED_DIR: '/srv/bed' }, '/home/op/checkout')).toBe('/srv/bed');
    expect(bedDirFromEnv('demo', {}, '/elsewhere')).toMatch(/^\/.*\/\.bed\/demo$/);
    expect(bedDirFromEnv('demo', {}, '/elsewhere')).not.toContain('/elsewhere');
  });
});
