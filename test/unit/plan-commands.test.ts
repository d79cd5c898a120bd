/** What `plan` prints per instance: the documented update where the gateway can be stopped and started. */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../src/shared/inventory.js';
import { planCommands } from '../../src/cli/views/plan-view.js';

const inventory = (instance: Record<string, unknown>) =>
  Inventory.parse({
    cluster: 'c',
    loadBalancer: { type: 'haproxy', socket: '/run/haproxy.sock', backend: 'gw' },
    instances: [
      {
        id: 'gw-1',
        gateway: { stateDir: '/s', configPath: '/c.json' },
        lbServer: 'gw1',
        install: { type: 'global' },
        ...instance,
      },
    ],
  });

describe('planCommands', () => {
  it('stops, installs, runs doctor --fix and starts when a supervisor restart shows how to stop and start', () => {
    const [cmds] = Object.values(
      planCommands(inventory({ restart: ['supervisorctl', '-c', '/etc/s.conf', 'restart', 'gw-1'] }), '2026.9.6'),
    );
    const at = (text: string) => cmds!.findIndex((c) => c.includes(text));
    expect(cmds).toContain('supervisorctl -c /etc/s.conf stop gw-1');
    expect(cmds).toContain('supervisorctl -c /etc/s.conf start gw-1');
    expect(at('backup create')).toBeLessThan(at('stop gw-1'));
    expect(at('stop gw-1')).toBeLessThan(at('install -g openclaw@2026.9.6'));
    expect(at('install -g openclaw@2026.9.6')).toBeLessThan(at('doctor --fix --non-interactive'));
    expect(at('doctor --fix --non-interactive')).toBeLessThan(at('start gw-1'));
    expect(cmds![at('doctor --fix --non-interactive')]).toContain('a global install has no canary');
    expect(cmds!.some((c) => c.includes('restart gw-1'))).toBe(false);
    // The client window: the read-only doctor after the rejoin, not before the approval.
    expect(at('(the new release, read-only, after the rejoin')).toBeGreaterThan(at('state ready'));
  });

  it('keeps install, doctor, restart when the gateway can only be restarted', () => {
    const [cmds] = Object.values(planCommands(inventory({}), '2026.9.6'));
    expect(cmds).toContain('openclaw gateway restart --json');
    expect(cmds!.some((c) => c.includes('doctor --fix'))).toBe(false);
  });

  it('staged: stages and runs the first doctor before the drain, only switches the symlink after the stop', () => {
    const [cmds] = Object.values(
      planCommands(
        inventory({
          install: { type: 'staged', root: '/opt/openclaw' },
          restart: ['supervisorctl', 'restart', 'gw-1'],
        }),
        '2026.9.6',
      ),
    );
    const at = (text: string) => cmds!.findIndex((c) => c.includes(text));
    expect(at('--prefix /opt/openclaw/versions/2026.9.6 openclaw@2026.9.6')).toBeGreaterThanOrEqual(0);
    expect(at('--prefix /opt/openclaw/versions/2026.9.6')).toBeLessThan(at('state drain'));
    expect(at('doctor --json --non-interactive   (in traffic)')).toBeLessThan(at('state drain'));
    expect(at('stop gw-1')).toBeLessThan(at('ln -sfn versions/2026.9.6 /opt/openclaw/current'));
    expect(at('ln -sfn versions/2026.9.6')).toBeLessThan(at('doctor --fix --non-interactive'));
    expect(cmds!.filter((c) => c.includes('install -g'))).toHaveLength(1); // nothing installs after the drain
    // The canary runs in traffic and decides whether the window's doctor --fix runs.
    expect(at('canary: versions/2026.9.6')).toBeGreaterThan(at('--prefix /opt/openclaw/versions/2026.9.6'));
    expect(at('canary: versions/2026.9.6')).toBeLessThan(at('state drain'));
    expect(cmds![at('doctor --fix --non-interactive')]).toContain('only when the canary started only after it');
  });

  it('sends no client through the load balancer while its instance is out: the reconnect hook runs after the rejoin', () => {
    const [cmds] = Object.values(
      planCommands(
        inventory({
          install: { type: 'staged', root: '/opt/openclaw' },
          restart: ['supervisorctl', 'restart', 'gw-1'],
          devices: [
            { deviceId: 'device-one', role: 'node', scopes: [], reconnectHook: ['supervisorctl', 'restart', 'node-1'] },
          ],
        }),
        '2026.9.6',
      ),
    );
    const at = (text: string) => cmds!.findIndex((c) => c.includes(text));
    expect(at('devices rotate --device device-one')).toBeLessThan(at('state ready'));
    expect(at('restart node-1')).toBeGreaterThan(at('state ready'));
  });

  it('global: warms the cache before the drain and says that staged would shorten the time out of traffic', () => {
    const [cmds] = Object.values(planCommands(inventory({}), '2026.9.6'));
    const warm = cmds!.findIndex((c) => c.includes('--prefix <temporary dir> openclaw@2026.9.6'));
    expect(warm).toBeGreaterThanOrEqual(0);
    expect(warm).toBeLessThan(cmds!.findIndex((c) => c.includes('state drain')));
    expect(cmds![warm]).toContain('install.type staged would shorten the time out of traffic');
  });
});
