/**
 * Connection settings for Temporal, the same for starter and worker: the inventory's `temporal` block,
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA / _CERT / _KEY / _SERVER_NAME and
 * TEMPORAL_API_KEY (the value itself, for CI secrets; the inventory names it by env or file instead).
 * Also how payloads travel (encrypted when codec keys are configured, see src/codec/), so that client and
 * worker always agree.
 */
import { readFile } from 'node:fs/promises';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { ConnectionOptions } from '@temporalio/client';
import { ConfigurationError } from '../shared/errors.js';
import type { TemporalConnectionConfig } from '../shared/inventory.js';
import { resolveSecret } from '../activities/host/secrets.js';
import { loadPayloadProtection, type PayloadProtection } from '../codec/data-converter.js';
import { explainTlsProbe, probeTls } from './tls-probe.js';

export interface ResolvedConnection {
  address: string;
  namespace: string;
  options: ConnectionOptions & NativeConnectionOptions;
  /** Whether TLS is on, and which files configure it (for error messages). */
  tls: { caFile?: string; certFile?: string; serverName?: string } | undefined;
  /** The data converter for Client and Worker (payload encryption), or a warning that it is off. */
  payloads: PayloadProtection;
}

async function readPem(path: string, field: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigurationError(
      `${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

export async function resolveConnection(
  config: TemporalConnectionConfig,
  env = process.env,
): Promise<ResolvedConnection> {
  const address = env.TEMPORAL_ADDRESS || config.address;
  const namespace = env.TEMPORAL_NAMESPACE || config.namespace;
  const tlsConfig = {
    caFile: env.TEMPORAL_TLS_CA || config.tls?.caFile,
    certFile: env.TEMPORAL_TLS_CERT || config.tls?.certFile,
    keyFile: env.TEMPORAL_TLS_KEY || config.tls?.keyFile,
    serverName: env.TEMPORAL_TLS_SERVER_NAME || config.tls?.serverName,
  };
  const wantsTls = Object.values(tlsConfig).some(Boolean) || env.TEMPORAL_TLS === '1';
  if (!!tlsConfig.certFile !== !!tlsConfig.keyFile) {
    throw new ConfigurationError(
      'TLS client certificate and key go together: set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (or temporal.tls.certFile and keyFile)',
    );
  }
  const apiKey =
    env.TEMPORAL_API_KEY || (config.apiKey ? await resolveSecret(config.apiKey, 'temporal.apiKey') : undefined);
  const options: ConnectionOptions & NativeConnectionOptions = { address };
  if (wantsTls || apiKey) {
    options.tls = {
      ...(tlsConfig.serverName ? { serverNameOverride: tlsConfig.serverName } : {}),
      ...(tlsConfig.caFile ? { serverRootCACertificate: await readPem(tlsConfig.caFile, 'temporal.tls.caFile') } : {}),
      ...(tlsConfig.certFile && tlsConfig.keyFile
        ? {
            clientCertPair: {
              crt: await readPem(tlsConfig.certFile, 'temporal.tls.certFile'),
              key: await readPem(tlsConfig.keyFile, 'temporal.tls.keyFile'),
            },
          }
        : {}),
    };
  }
  if (apiKey) options.apiKey = apiKey;
  return {
    address,
    namespace,
    options,
    tls: options.tls
      ? { caFile: tlsConfig.caFile, certFile: tlsConfig.certFile, serverName: tlsConfig.serverName }
      : undefined,
    payloads: await loadPayloadProtection(env),
  };
}

/**
 * Turns a failed connect into a ConfigurationError that says what to fix. The SDK only reports "Failed to
 * connect before the deadline" for TLS problems, so one plain TLS handshake with the same settings
 * (src/worker/tls-probe.ts) finds the reason: unknown CA, wrong server name, client certificate required, or,
 * for a client without TLS, a server that speaks TLS.
 */
export async function connectionError(err: unknown, conn: ResolvedConnection): Promise<ConfigurationError> {
  const detail = err instanceof Error ? err.message : String(err);
  const where = `cannot reach Temporal at ${conn.address} (${detail.split('\n')[0]})`;
  const host = conn.address.slice(0, conn.address.lastIndexOf(':'));
  const tls = conn.options.tls && typeof conn.options.tls === 'object' ? conn.options.tls : undefined;
  if (conn.tls) {
    const probe = await probeTls(conn.address, {
      verify: true,
      ca: tls?.serverRootCACertificate,
      cert: tls?.clientCertPair?.crt,
      key: tls?.clientCertPair?.key,
      serverName: conn.tls.serverName,
    });
    const finding = explainTlsProbe(probe, { ...conn.tls, host });
    if (finding) return new ConfigurationError(`${where}: ${finding}.`, { cause: err });
    const ca = conn.tls.caFile
      ? `the CA in ${conn.tls.caFile}`
      : 'the system CAs (no TEMPORAL_TLS_CA / temporal.tls.caFile set)';
    return new ConfigurationError(
      `${where}. TLS is on: check that the server's certificate is signed by ${ca}, that its name matches ` +
        `${conn.tls.serverName ? `TEMPORAL_TLS_SERVER_NAME / temporal.tls.serverName (${conn.tls.serverName})` : 'the address host (or set TEMPORAL_TLS_SERVER_NAME / temporal.tls.serverName)'}, ` +
        `and, if the server requires client certificates, set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (temporal.tls.certFile / keyFile).`,
      { cause: err },
    );
  }
  const probe = await probeTls(conn.address, { verify: false });
  if (probe.ok) {
    return new ConfigurationError(
      `${where}: the server speaks TLS but this client does not use it: set TEMPORAL_TLS_CA (temporal.tls.caFile) to the CA that signed its certificate, or TEMPORAL_TLS=1 for a publicly trusted one.`,
      { cause: err },
    );
  }
  return new ConfigurationError(
    `${where}. Start it, or set TEMPORAL_ADDRESS / temporal.address; if the server requires TLS, set TEMPORAL_TLS_CA (temporal.tls.caFile) ` +
      `to the CA that signed its certificate, or TEMPORAL_TLS=1 for a publicly trusted one.`,
    { cause: err },
  );
}
