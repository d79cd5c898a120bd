/**
 * A notification receiver on loopback for the tests: records every POST (path, headers, body) and
 * answers by path: /ok and /slack 200, /fail 500, /gone 404, /hang never (the request stays open until close()).
 * Also Slack's response_url for approvals-server (/response).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export async function notificationReceiver() {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (path.startsWith('/hang')) return void hanging.push(res);
      res.writeHead(path.startsWith('/fail') ? 500 : path.startsWith('/gone') ? 404 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    /** Bodies received on `path`, parsed as JSON. */
    json<T = Record<string, unknown>>(path: string): T[] {
      return received.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as T);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type NotificationReceiver = Awaited<ReturnType<typeof notificationReceiver>>;
