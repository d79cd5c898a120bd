// The production-shaped bed's configuration (test/bed/production-temporal-config.ts, bed.ts): the server's
// config keeps history and visibility on PostgreSQL and requires client certificates; the UI server
// talks mTLS and carries the codec endpoint; the e2e setup's mode variable refuses a typo.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { productionBedRequested } from '../../test/bed/bed.js';
import { serverConfig, uiServerConfig } from '../../test/bed/production-temporal-config.js';

const pki = {
  ca: '/p/ca.pem',
  serverCert: '/p/s.pem',
  serverKey: '/p/s.key',
  clientCert: '/p/c.pem',
  clientKey: '/p/c.key',
};
const ports = {
  frontend: 21001,
  http: 21002,
  history: 21003,
  matching: 21004,
  worker: 21005,
  membership: { frontend: 21006, history: 21007, matching: 21008, worker: 21009 },
};

describe('production bed configuration', () => {
  it('the server keeps history and visibility on PostgreSQL (postgres12) and requires client certificates', () => {
    const c = parse(
      serverConfig({
        ports,
        pki,
        pg: { host: '127.0.0.1', port: 25432, user: 'temporal', password: 'pw' },
        dynamicConfigFile: '/p/dc.yaml',
        numHistoryShards: 4,
      }),
    );
    for (const [store, db] of [
      ['default', 'temporal'],
      ['visibility', 'temporal_visibility'],
    ] as const)
      expect(c.persistence.datastores[store].sql).toMatchObject({
        pluginName: 'postgres12',
        databaseName: db,
        connectAddr: '127.0.0.1:25432',
        user: 'temporal',
      });
    expect(c.global.tls.frontend.server).toMatchObject({ requireClientAuth: true, clientCaFiles: ['/p/ca.pem'] });
    expect(c.services.frontend.rpc).toMatchObject({ grpcPort: 21001, membershipPort: 21006, httpPort: 21002 });
    expect(c.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:21001');
  });

  it('the UI server reaches the frontend over mTLS and points the browser at the codec server', () => {
    const c = parse(
      uiServerConfig({
        frontendAddress: '127.0.0.1:21001',
        port: 28080,
        pki,
        namespace: 'default',
        codecEndpoint: 'http://127.0.0.1:28888',
      }),
    );
    expect(c).toMatchObject({ temporalGrpcAddress: '127.0.0.1:21001', port: 28080, defaultNamespace: 'default' });
    expect(c.tls).toMatchObject({
      caFile: '/p/ca.pem',
      certFile: '/p/c.pem',
      keyFile: '/p/c.key',
      enableHostVerification: true,
    });
    expect(c.codec.endpoint).toBe('http://127.0.0.1:28888');
  });

  it('OPENCLAW_ROLLOUT_BED_TEMPORAL chooses dev (default) or production, and names itself on a typo', () => {
    expect(productionBedRequested({})).toBe(false);
    expect(productionBedRequested({ OPENCLAW_ROLLOUT_BED_TEMPORAL: 'production' })).toBe(true);
    expect(() => productionBedRequested({ OPENCLAW_ROLLOUT_BED_TEMPORAL: 'prod' })).toThrow(
      'OPENCLAW_ROLLOUT_BED_TEMPORAL must be dev or production, not "prod"',
    );
  });
});
