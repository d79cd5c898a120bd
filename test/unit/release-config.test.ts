// The bed's gateway config per release, from each release's own `openclaw config schema`
// (test/fixtures/openclaw/config-schema.gateway.<v>.json, README.config-schema.md): 2026.4.1 and 2026.7.35
// refuse to start on `gateway.nodes.pairing.autoApproveLocal`, 2026.8.2 and later need it (false) for the
// runbook's explicit approval of every device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayConfigFor, schemaAt, type JsonSchemaNode } from '../bed/release-config.js';

const schemaOf = (v: string) =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/openclaw/config-schema.gateway.${v}.json`, import.meta.url), 'utf8'),
  ) as JsonSchemaNode;
const input = { port: 18789, bind: 'loopback' as const, sharedToken: 'tok', logFile: '/bed/gw/gateway.log' };

describe('gatewayConfigFor', () => {
  it.each(['2026.9.6', '2026.8.2'])('%s: no silent local pairing, every device approved', (v) => {
    const { config, pairing } = gatewayConfigFor(schemaOf(v), v, input);
    expect(pairing).toBe('approve');
    expect(config).toEqual({
      gateway: {
        mode: 'local',
        port: 18789,
        bind: 'loopback',
        auth: { mode: 'token', token: 'tok' },
        nodes: { pairing: { autoApproveLocal: false } },
      },
      logging: { file: '/bed/gw/gateway.log' },
    });
  });

  it.each(['2026.7.35', '2026.4.1'])('%s: writes no pairing key it would reject, pairs loopback silently', (v) => {
    const { config, pairing } = gatewayConfigFor(schemaOf(v), v, input);
    expect(pairing).toBe('silent-local');
    expect(config).toEqual({
      gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { mode: 'token', token: 'tok' } },
      logging: { file: '/bed/gw/gateway.log' },
    });
  });

  it('names the keys a release lacks and how to see what it knows', () => {
    const schema = schemaOf('2026.4.1');
    delete schema.properties!.logging;
    expect(() => gatewayConfigFor(schema, '2026.4.1', input)).toThrow(
      /openclaw 2026\.4\.1's config schema has no logging\.file: .*openclaw config schema/,
    );
  });
});

describe('schemaAt', () => {
  it('finds a key where the release has it, and only there', () => {
    expect(schemaAt(schemaOf('2026.7.35'), 'gateway.nodes.pairing.autoApproveCidrs')).toBeDefined();
    expect(schemaAt(schemaOf('2026.7.35'), 'gateway.nodes.pairing.autoApproveLocal')).toBeUndefined();
    expect(schemaAt(schemaOf('2026.4.1'), 'gateway.nodes.pairing')).toBeUndefined();
  });

  it('follows properties through anyOf alternatives', () => {
    const schema: JsonSchemaNode = { anyOf: [{ type: 'string' }, { properties: { a: { properties: { b: {} } } } }] };
    expect(schemaAt(schema, 'a.b')).toEqual({});
    expect(schemaAt(schema, 'a.c')).toBeUndefined();
  });
});
