// Refusal lines parsed from real captured gateway logs (test/fixtures/openclaw), and the `diagnose`
// verdict drawn from them: each of the runbook's three causes, and bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogs, refusedConnects, type RefusalLine } from '../../src/activities/openclaw/parse/index.js';
import type { DeviceFacts } from '../../src/activities/device-state.js';
import { diagnose } from '../../src/cli/diagnose/verdict.js';
import { ConfigurationError } from '../../src/shared/errors.js';
import { Inventory } from '../../src/shared/inventory.js';
import { matchesSignature } from '../../src/shared/refusal-attribution.js';

const logs = (name: string) =>
  parseLogs({
    stdout: readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8'),
    stderr: '',
    exitCode: 0,
  }).records;
const rawCount = (name: string, re: RegExp) =>
  readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => re.test(l) && l.includes('"message":"unauthorized')).length;

describe('refusedConnects on captured logs', () => {
  it('finds one entry per refused connect, with what the line carries (no device id)', () => {
    const lines = refusedConnects(logs('logs.refusals.ndjson'), { sinceMs: 0 });
    expect(lines.map((l) => [l.reason, l.role, l.scopeCount])).toEqual([
      ['scope_mismatch', 'operator', 3],
      ['device_token_mismatch', 'node', 0],
    ]);
    expect(lines[0]).toMatchObject({
      clientId: 'cli',
      clientMode: 'cli',
      clientVersion: '0.1.0-openclaw-rollout-testbed',
      platform: 'linux',
      auth: 'device-token',
      remote: '127.0.0.1',
      clientInstance: null,
    });
    expect(lines[0]!.conn).toBe('25be756e-35b9-4faf-bdbd-e9b0840c7cd7');
  });

  it('counts the same refusals as the raw text, never the "closed before connect" twin lines', () => {
    const records = logs('logs.mismatch.ndjson');
    const lines = refusedConnects(records, { sinceMs: 0 });
    expect(lines.length).toBe(rawCount('logs.mismatch.ndjson', /reason=device_token_mismatch/));
    expect(lines.every((l) => l.reason === 'device_token_mismatch')).toBe(true);
    expect(refusedConnects(records, { sinceMs: lines[0]!.atMs + 1 }).length).toBe(lines.length - 1);
  });
});

const DEV = 'd'.repeat(64);
const inventory = Inventory.parse({
  cluster: 'c',
  loadBalancer: { type: 'none' },
  instances: ['gw-1', 'gw-2'].map((id) => ({
    id,
    gateway: { stateDir: `/s/${id}` },
    lbServer: id,
    install: { type: 'global' },
    devices: id === 'gw-1' ? [{ deviceId: DEV, role: 'operator', scopes: ['operator.read', 'operator.write'] }] : [],
  })),
});
const ctx = { inventoryPath: 'c.yaml', instances: inventory.instances };

const line = (over: Partial<RefusalLine>): RefusalLine => ({
  time: '2026-11-24T13:43:44.455Z',
  atMs: Date.parse('2026-11-24T13:43:44.455Z'),
  reason: 'device_token_mismatch',
  conn: 'x',
  remote: '127.0.0.1',
  clientId: 'cli',
  clientMode: 'cli',
  clientVersion: '1',
  role: 'operator',
  scopeCount: 2,
  auth: 'device-token',
  platform: 'linux',
  clientInstance: null,
  ...over,
});
const paired = {
  clientId: 'cli',
  clientMode: 'cli',
  platform: 'linux',
  roles: ['operator'],
  scopes: ['operator.read', 'operator.write'],
  connected: false,
  lastSeenAtMs: null,
};
const facts = (over: Partial<DeviceFacts>): DeviceFacts => ({
  deviceId: DEV,
  paired: null,
  pending: [],
  refusals: [],
  refusalsTotal: 0,
  pairedSignatures: [],
  localFallback: false,
  ...over,
});
const home = (tokens: { rotatedAtMs?: number | null; revokedAtMs?: number | null }, refusals: RefusalLine[]) =>
  facts({
    paired: {
      ...paired,
      tokens: [
        {
          role: 'operator',
          scopes: paired.scopes,
          createdAtMs: 1,
          rotatedAtMs: tokens.rotatedAtMs ?? null,
          revokedAtMs: tokens.revokedAtMs ?? null,
        },
      ],
    },
    refusals,
    refusalsTotal: refusals.length,
    pairedSignatures: [{ deviceId: DEV, clientId: 'cli', clientMode: 'cli', platform: 'linux' }],
  });

describe('diagnose verdict', () => {
  const t = Date.parse('2026-11-24T13:43:44.455Z');

  it('cause 1: refusals for the same role after the token was rotated, fixed by the repair command', () => {
    const d = diagnose(
      DEV,
      [
        { instance: 'gw-1', ok: true, facts: home({ rotatedAtMs: t - 60_000 }, [line({})]) },
        { instance: 'gw-2', ok: true, facts: facts({}) },
      ],
      0,
      ctx,
    );
    expect(d.findings.map((f) => [f.cause, f.instance])).toEqual([[1, 'gw-1']]);
    expect(d.findings[0]!.fix).toContain(
      `npm run starter -- repair --inventory c.yaml --instance gw-1 --device ${DEV} --role operator`,
    );
    expect(d.attribution).toContain('correlation');
    // Run as the installed command, the fix names it.
    const installed = diagnose(
      DEV,
      [{ instance: 'gw-1', ok: true, facts: home({ rotatedAtMs: t - 60_000 }, [line({})]) }],
      0,
      {
        ...ctx,
        invokedAs: 'openclaw-rollout',
      },
    );
    expect(installed.findings[0]!.fix).toContain(`openclaw-rollout repair --inventory c.yaml --instance gw-1`);
  });

  it('cause 2: refusals correlating with the device on an instance that does not know it', () => {
    const d = diagnose(
      DEV,
      [
        { instance: 'gw-1', ok: true, facts: home({}, []) },
        { instance: 'gw-2', ok: true, facts: facts({ refusals: [line({})], refusalsTotal: 1 }) },
      ],
      0,
      ctx,
    );
    expect(d.findings.map((f) => [f.cause, f.instance])).toEqual([[2, 'gw-2']]);
    expect(d.findings[0]!.evidence).toContain('paired on gw-1');
  });

  it('cause 3: another role, or more scopes, than the token was issued for', () => {
    const d = diagnose(
      DEV,
      [
        {
          instance: 'gw-1',
          ok: true,
          facts: home({}, [line({ role: 'node', scopeCount: 0 }), line({ reason: 'scope_mismatch', scopeCount: 3 })]),
        },
      ],
      0,
      ctx,
    );
    expect(d.findings.map((f) => f.cause)).toEqual([3, 3]);
    expect(d.verdict).toContain('cause 3: role or scopes changed');
  });

  it('a refusal from another client software is not attributed to the device', () => {
    expect(matchesSignature(line({ clientId: 'node-host', clientMode: 'node' }), paired)).toBe(false);
    const d = diagnose(
      DEV,
      [
        {
          instance: 'gw-1',
          ok: true,
          facts: home({ rotatedAtMs: 1 }, [line({ clientId: 'node-host', clientMode: 'node' })]),
        },
      ],
      0,
      ctx,
    );
    expect(d.findings).toEqual([]);
    expect(d.rows[0]).toMatchObject({ refusalsCorrelated: 0, refusalsAll: 1 });
  });

  it('an unknown device is refused naming --device', () => {
    expect(() => diagnose('e'.repeat(64), [{ instance: 'gw-1', ok: true, facts: facts({}) }], 0, ctx)).toThrow(
      ConfigurationError,
    );
    expect(() => diagnose('e'.repeat(64), [{ instance: 'gw-1', ok: true, facts: facts({}) }], 0, ctx)).toThrow(
      /--device/,
    );
  });
});
