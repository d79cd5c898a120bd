// /startupz of a release before it existed (2026.7.35, 2026.4.1): the gateway answers with its Control
// UI's HTML page (200, text/html; seen on the real 2026.7.35). Ready, version unknown: the start then
// asks `gateway status` instead of waiting for a version that never comes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayStatus, startupVersion } from '../../src/activities/openclaw/gateway.js';
import type { GatewayAccess } from '../../src/shared/inventory.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function gateway(startupz: { type: string; body: string }): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/readyz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
    else res.writeHead(200, { 'content-type': startupz.type }).end(startupz.body);
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('startupVersion', () => {
  it('reads the version where /startupz answers JSON', async () => {
    const url = await gateway({ type: 'application/json', body: '{"version":"2026.9.6"}' });
    expect(await startupVersion(url)).toEqual({ ready: true, version: '2026.9.6' });
  });

  it('says ready with no version where /startupz is the Control UI page', async () => {
    const url = await gateway({ type: 'text/html; charset=utf-8', body: '<!doctype html><html></html>' });
    expect(await startupVersion(url)).toEqual({ ready: true, version: null });
  });
});

// `gateway status --json` of 2026.4.1 (captured from a real 2026.4.1 gateway) names no version: the
// local CLI's `--version` does, so a start or a rollback onto 2026.4.1 sees the release it waits for.
describe('gatewayStatus of a release whose status names no version', () => {
  it('takes the version from the local CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'status-'));
    try {
      const fixture = new URL('../fixtures/openclaw/gateway-status.2026.4.1.json', import.meta.url).pathname;
      const script = `#!/bin/sh\ncase "$1" in\n  --version) echo "OpenClaw 2026.4.1 (da64a97)" ;;\n  gateway) cat '${fixture}' ;;\nesac\n`;
      await writeFile(join(dir, 'openclaw'), script, { mode: 0o755 });
      const access = { cli: [join(dir, 'openclaw')], env: {} } as unknown as GatewayAccess;
      expect(await gatewayStatus(access, { timeoutMs: 10_000 })).toMatchObject({ healthy: true, version: '2026.4.1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
