// /startupz of a release before it existed (2026.7.35, 2026.4.1): the gateway answers with its Control
// UI's HTML page (200, text/html; seen on the real 2026.7.35). Ready, version unknown: the start then
// asks `gateway status` instead of waiting for a version that never comes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startupVersion } from '../../src/activities/openclaw/gateway.js';

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
