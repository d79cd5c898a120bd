/** `worker --metrics <host:port>`: the address the metrics are served on, checked before anything starts. */
import { UsageError } from '../../cli/command.js';

const EXAMPLE = 'e.g. --metrics 127.0.0.1:9464 (or 0.0.0.0:9464 to be scraped from other hosts)';

/** The address as `host:port` (IPv6 in brackets), or a UsageError naming the flag and the fix. */
export function metricsBindAddress(value: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`worker: --metrics ${value}: expected <host>:<port> to serve metrics on, ${EXAMPLE}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65_535)
    throw new UsageError(`worker: --metrics ${value}: port ${m[2]} is not between 1 and 65535, ${EXAMPLE}`);
  // The SDK binds a socket address, not a name: localhost is the one name worth accepting.
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1]!;
  if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])$/.test(host))
    throw new UsageError(`worker: --metrics ${value}: ${host} is not an IP address to listen on, ${EXAMPLE}`);
  return `${host}:${port}`;
}
