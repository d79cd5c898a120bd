/**
 * Finds out why a connection to Temporal failed when the SDK only says "Failed to connect before the
 * deadline": one plain TLS handshake (node:tls) with the same CA, client certificate and server name,
 * which reports the actual reason (unknown CA, wrong name, client certificate required), or, for a
 * client without TLS, whether the server speaks TLS at all.
 */
import { isIP } from 'node:net';
import { connect } from 'node:tls';

export interface TlsProbeOptions {
  ca?: Uint8Array;
  cert?: Uint8Array;
  key?: Uint8Array;
  serverName?: string;
  /** false: only find out whether the server speaks TLS (no verification). */
  verify: boolean;
}

export type TlsProbeResult =
  { ok: true } | { ok: false; code: string; message: string } | { ok: false; code: 'UNREACHABLE'; message: string };

export function probeTls(address: string, opts: TlsProbeOptions, timeoutMs = 3000): Promise<TlsProbeResult> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  const serverName = opts.serverName ?? (isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: TlsProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({
      host,
      port,
      ...(serverName ? { servername: serverName } : {}),
      ...(opts.ca ? { ca: Buffer.from(opts.ca) } : {}),
      ...(opts.cert && opts.key ? { cert: Buffer.from(opts.cert), key: Buffer.from(opts.key) } : {}),
      rejectUnauthorized: opts.verify,
      ALPNProtocols: ['h2'],
    });
    // TLS 1.3: a server that wants a client certificate says so after the handshake; give it a moment.
    // Without verification the handshake itself is the answer (the server speaks TLS).
    socket.once('secureConnect', () => (opts.verify ? setTimeout(() => done({ ok: true }), 500) : done({ ok: true })));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ERROR';
      done(
        code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND'
          ? { ok: false, code: 'UNREACHABLE', message: err.message }
          : { ok: false, code, message: err.message },
      );
    });
    const timer = setTimeout(
      () => done({ ok: false, code: 'TIMEOUT', message: `no TLS handshake within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** The probe's finding in the operator's terms: what is wrong and which setting fixes it. */
export function explainTlsProbe(
  result: TlsProbeResult,
  settings: { caFile?: string; certFile?: string; serverName?: string; host: string },
): string | undefined {
  if (result.ok || result.code === 'UNREACHABLE' || result.code === 'TIMEOUT') return undefined;
  const ca = settings.caFile ? `the CA in ${settings.caFile}` : 'the system CAs';
  if (UNKNOWN_CA.has(result.code)) {
    return `the server's certificate is not signed by ${ca} (${result.code}): set TEMPORAL_TLS_CA / temporal.tls.caFile to the CA that signed it`;
  }
  if (result.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate does not name ${settings.serverName ?? settings.host}: set TEMPORAL_TLS_SERVER_NAME / temporal.tls.serverName to a name it holds`;
  }
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA/i.test(result.code)) {
    return settings.certFile
      ? `the server refused the client certificate ${settings.certFile} (${result.code}): use one signed by a CA the server trusts`
      : `the server requires a client certificate (${result.code}): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (temporal.tls.certFile / keyFile)`;
  }
  if (result.code === 'CERT_HAS_EXPIRED')
    return `the server's certificate has expired (${result.code}): renew it on the server`;
  return `TLS handshake failed: ${result.code} (${result.message})`;
}
