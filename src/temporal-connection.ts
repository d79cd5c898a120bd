/**
 * Connection settings for Temporal, the same for starter and worker: the inventory's `temporal` block,
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA / _CERT / _KEY / _SERVER_NAME and
 * TEMPORAL_API_KEY (the value itself, for CI secrets; the inventory names it by env or file instead).
 */
import { readFile } from 'node:fs/promises';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { ConnectionOptions } from '@temporalio/client';
import { ConfigurationError } from './errors.js';
import type { TemporalConnectionConfig } from './inventory.js';
import { resolveSecret } from './activities/secrets.js';

export interface ResolvedConnection {
  address: string;
  namespace: string;
  taskQueue: string;
  options: ConnectionOptions & NativeConnectionOptions;
}

async function readPem(path: string, field: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigurationError(`${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

export async function resolveConnection(config: TemporalConnectionConfig, env = process.env): Promise<ResolvedConnection> {
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
    throw new ConfigurationError('TLS client certificate and key go together: set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (or temporal.tls.certFile and keyFile)');
  }
  const apiKey = env.TEMPORAL_API_KEY || (config.apiKey ? await resolveSecret(config.apiKey, 'temporal.apiKey') : undefined);
  const options: ConnectionOptions & NativeConnectionOptions = { address };
  if (wantsTls || apiKey) {
    options.tls = {
      ...(tlsConfig.serverName ? { serverNameOverride: tlsConfig.serverName } : {}),
      ...(tlsConfig.caFile ? { serverRootCACertificate: await readPem(tlsConfig.caFile, 'temporal.tls.caFile') } : {}),
      ...(tlsConfig.certFile && tlsConfig.keyFile
        ? { clientCertPair: { crt: await readPem(tlsConfig.certFile, 'temporal.tls.certFile'), key: await readPem(tlsConfig.keyFile, 'temporal.tls.keyFile') } }
        : {}),
    };
  }
  if (apiKey) options.apiKey = apiKey;
  return { address, namespace, taskQueue: env.TEMPORAL_TASK_QUEUE || config.taskQueue, options };
}
