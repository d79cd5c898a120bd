/** Free loopback ports for the bed (the OS picks; ranges are checked port by port). */
import { createServer } from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The base of `size` consecutive free ports that do not overlap ranges starting at `taken`. */
export async function freePortRange(size: number, taken: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.some((t) => Math.abs(t - base) < size)) continue;
    let ok = true;
    for (let p = base; p < base + size && ok; p++) ok = await tryListen(p);
    if (ok) return base;
  }
  throw new Error(`no range of ${size} free ports found`);
}

/**
 * A free port below 32768: Temporal's SQL schema stores its services' ports as smallint (cluster_membership),
 * and the OS's ephemeral ports are above that.
 */
export async function freeLowPort(taken: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(port) && (await tryListen(port))) return port;
  }
  throw new Error('no free port below 32768 found');
}
