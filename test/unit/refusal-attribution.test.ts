// Which rotated device a refused connect counts for after a rejoin. The rollout revokes a device
// (automatic emergency repair) on this evidence, so a line that another paired device could have sent
// must count for nobody. Lines come from a real captured gateway log (test/fixtures/openclaw).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogs, refusedConnects } from '../../src/activities/openclaw/parse/index.js';
import { attributeRefusals } from '../../src/shared/refusal-attribution.js';

const captured = refusedConnects(
  parseLogs({
    stdout: readFileSync(new URL('../fixtures/openclaw/logs.refusals.ndjson', import.meta.url), 'utf8'),
    stderr: '',
    exitCode: 0,
  }).records,
  { sinceMs: 0 },
);
// The capture: one operator refusal from the CLI client on linux, one node refusal.
const cliLine = captured.find((l) => l.clientId === 'cli')!;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const N = 'c'.repeat(64);
const cliOnLinux = { clientId: 'cli', clientMode: 'cli', platform: 'linux' };

describe('attributeRefusals', () => {
  it('counts a refusal for the rotated device that is the only paired device with that client', () => {
    const r = attributeRefusals(
      [cliLine],
      [
        { deviceId: A, ...cliOnLinux },
        { deviceId: N, clientId: 'node-host', clientMode: 'node', platform: 'linux' },
      ],
      [A],
    );
    expect(r).toEqual({ perDevice: { [A]: 1 }, ambiguous: 0, unattributed: 0 });
  });

  it('counts it for nobody when another paired device (rotated or not) has the same client and platform', () => {
    const twins = [
      { deviceId: A, ...cliOnLinux },
      { deviceId: B, ...cliOnLinux },
    ];
    expect(attributeRefusals([cliLine], twins, [A])).toEqual({ perDevice: {}, ambiguous: 1, unattributed: 0 });
    expect(attributeRefusals([cliLine], twins, [A, B])).toEqual({ perDevice: {}, ambiguous: 1, unattributed: 0 });
  });

  it('keeps a refusal that matches no rotated device apart, even when a non-rotated device matches it', () => {
    expect(attributeRefusals([cliLine], [{ deviceId: A, ...cliOnLinux }], [])).toEqual({
      perDevice: {},
      ambiguous: 0,
      unattributed: 1,
    });
    expect(
      attributeRefusals([cliLine], [{ deviceId: A, clientId: 'cli', clientMode: 'cli', platform: 'darwin' }], [A]),
    ).toEqual({ perDevice: {}, ambiguous: 0, unattributed: 1 });
    expect(
      attributeRefusals([cliLine], [{ deviceId: A, clientId: null, clientMode: null, platform: null }], [A]),
    ).toEqual({ perDevice: {}, ambiguous: 0, unattributed: 1 });
  });

  it('accounts for every line of the capture exactly once', () => {
    const r = attributeRefusals(
      captured,
      [
        { deviceId: A, ...cliOnLinux },
        { deviceId: B, ...cliOnLinux },
      ],
      [A],
    );
    expect(Object.values(r.perDevice).reduce((a, b) => a + b, 0) + r.ambiguous + r.unattributed).toBe(captured.length);
  });
});
