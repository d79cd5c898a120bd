/**
 * The no-op executor: every activity of `createActivities()` (same names, same argument and result
 * shapes, checked by the compiler) answering at once with a valid result, so a rollout runs the real
 * workflow code with no gateway, load balancer or client behind it. It keeps just enough state (the
 * version each instance "runs", each server's admin state) for the workflows' checks to pass.
 * `onActivity` lets the benchmark see when chosen activities start (approvals, latency).
 */
import { Context } from '@temporalio/activity';
import type { Activities } from '../src/activities/index.js';

type SameShape<T> = {
  [K in keyof T]: T[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => Promise<R> : never;
};

export interface ActivityEvent {
  activity: string;
  workflowId: string;
  at: number;
}

export function createNoopActivities(fromVersion: string, onActivity?: (e: ActivityEvent) => void) {
  const versions = new Map<string, string>();
  const admin = new Map<string, 'ready' | 'drain'>();
  let count = 0;
  const seen = (activity: string) => {
    count++;
    if (onActivity)
      onActivity({ activity, workflowId: Context.current().info.workflowExecution?.workflowId ?? '', at: Date.now() });
  };
  const status = (id: string) => ({
    healthy: true,
    runtimeRunning: true,
    rpcOk: true,
    version: versions.get(id) ?? fromVersion,
    bootId: `boot-${id}-${versions.get(id) ?? fromVersion}`,
    pid: 1,
    url: null,
  });

  const activities: SameShape<Activities> = {
    async gatewayStatus(t) {
      seen('gatewayStatus');
      return status(t.instance.id);
    },
    async listDevices(t) {
      seen('listDevices');
      return {
        pending: [],
        paired: t.instance.devices.map((d) => ({
          deviceId: d.deviceId,
          roles: [d.role],
          scopes: d.scopes,
          connected: true,
          tokens: [{ role: d.role, scopes: d.scopes }],
        })),
      };
    },
    async listPendingRequests() {
      seen('listPendingRequests');
      return [];
    },
    async rotateDeviceToken(_t, device) {
      seen('rotateDeviceToken');
      return {
        deviceId: device.deviceId,
        role: device.role,
        scopes: device.scopes,
        rotatedAtMs: Date.now(),
        tokenDelivery: 'withheld-cross-device',
      };
    },
    async revokeDeviceRole(_t, deviceId, role) {
      seen('revokeDeviceRole');
      return { deviceId, role, revokedAtMs: Date.now() };
    },
    async approvePairingRequest(_t, requestId) {
      seen('approvePairingRequest');
      return { requestId, deviceId: 'approved-device' };
    },
    async rejectPairingRequest(_t, requestId) {
      seen('rejectPairingRequest');
      return { requestId, gone: true };
    },
    async probeChannels() {
      seen('probeChannels');
      return { gatewayReachable: true, healthy: true, channels: [], issues: [] };
    },
    // The emergency-repair and diagnose activities: a rollout that goes well never calls them.
    async inspectDevice(_t, deviceId) {
      seen('inspectDevice');
      return {
        deviceId,
        paired: null,
        pending: [],
        refusals: [],
        refusalsTotal: 0,
        pairedSignatures: [],
        localFallback: false,
      };
    },
    async confirmRoleRevoked() {
      seen('confirmRoleRevoked');
      return { revoked: true, paired: true };
    },
    async pairingRequestsSince() {
      seen('pairingRequestsSince');
      return { matching: [], other: [] };
    },
    async checkDeviceRepaired(_t, device) {
      seen('checkDeviceRepaired');
      return {
        paired: true,
        connected: true,
        roles: [device.role],
        scopes: device.scopes,
        refusalsCorrelated: 0,
        devicesSharingSignature: 1,
        samples: [],
        problems: [],
      };
    },
    async refusalsByDevice() {
      seen('refusalsByDevice');
      return { perDevice: {}, unattributed: 0, total: 0, samples: [] };
    },
    async soakEvidence() {
      seen('soakEvidence');
      return { healthy: true, channelsOk: true, refused: 0, mismatches: 0, samples: [], linesRead: 1 };
    },
    async countTokenMismatches() {
      seen('countTokenMismatches');
      return { count: 0, samples: [], localFallback: false, linesRead: 0 };
    },
    async prepareRelease(_t, version) {
      seen('prepareRelease');
      return { kind: 'cache-warmed' as const, detail: `npm's cache holds ${version}`, durationMs: 0 };
    },
    async canaryBoot() {
      seen('canaryBoot');
      return { bootsByItself: true, migrated: [], readyMs: 0, durationMs: 0 };
    },
    async installVersion(t, version) {
      seen('installVersion');
      versions.set(`${t.instance.id}:installed`, version);
      return { kind: t.instance.install.type, command: `install openclaw@${version}`, durationMs: 0 };
    },
    async runDoctor() {
      seen('runDoctor');
      return {
        passed: true,
        errors: [],
        migrations: [],
        blockingMigrations: [],
        warnings: [],
        migrationPending: false,
        stateTooNew: false,
      };
    },
    async restartGateway(t, expectVersion) {
      seen('restartGateway');
      const before = status(t.instance.id);
      versions.set(t.instance.id, versions.get(`${t.instance.id}:installed`) ?? expectVersion ?? fromVersion);
      return { command: 'restart', before, after: status(t.instance.id), downMs: 0 };
    },
    async runReconnectHook(_t, device) {
      seen('runReconnectHook');
      return { command: device.reconnectHook ? device.reconnectHook.join(' ') : null, durationMs: 0 };
    },
    async waitForDeviceBack() {
      seen('waitForDeviceBack');
      return { back: true, waitedMs: 0, lastSeenAtMs: Date.now(), connected: true };
    },
    // Rollback from a backup: a rollout that goes well only takes the backup.
    async createBackup(t, runningVersion) {
      seen('createBackup');
      return {
        path: `/noop/${t.instance.id}-${runningVersion}.tar.gz`,
        sha256: '0'.repeat(64),
        bytes: 1,
        createdAt: new Date().toISOString(),
        version: runningVersion,
      };
    },
    async checkBackupArchive(_t, backup) {
      seen('checkBackupArchive');
      return { path: backup.path, sha256: backup.sha256, bytes: backup.bytes };
    },
    async stopGateway() {
      seen('stopGateway');
      return { command: 'stop', durationMs: 0 };
    },
    async startGateway(t, expectVersion) {
      seen('startGateway');
      versions.set(t.instance.id, versions.get(`${t.instance.id}:installed`) ?? expectVersion);
      return { command: 'start', version: versions.get(t.instance.id) ?? expectVersion, downMs: 0 };
    },
    async restoreBackup(_t, backup) {
      seen('restoreBackup');
      return { movedAsideTo: '/noop/state.pre-restore', restoredFrom: backup.path };
    },
    async checkRestoredDatabases() {
      seen('checkRestoredDatabases');
      return { databases: [], allExact: true };
    },
    // Upgrades that skip releases: the fix step after the install, and plan's view of the jump.
    async runDoctorFix() {
      seen('runDoctorFix');
      return {
        fixed: [],
        errors: [],
        warnings: [],
        requiredBefore: [],
        migrationPendingBefore: false,
        changes: [],
        command: 'openclaw doctor --fix --non-interactive',
        durationMs: 0,
      };
    },
    async releaseSchemaVersions(_t, version) {
      seen('releaseSchemaVersions');
      return { version, schemaVersions: null };
    },
    async planReleaseJump(_t, fromVersion, toVersion) {
      seen('planReleaseJump');
      return {
        from: fromVersion,
        to: toVersion,
        direction: 'upgrade',
        crossed: [],
        schemaChanges: [],
        migrations: 'unknown',
        rollbackNeedsBackup: true,
        summary: `${fromVersion} → ${toVersion}`,
      };
    },
    async lbDrain(_lb, server) {
      seen('lbDrain');
      admin.set(server, 'drain');
    },
    async lbReady(_lb, server) {
      seen('lbReady');
      admin.set(server, 'ready');
    },
    async lbState(_lb, server) {
      seen('lbState');
      return {
        admin: admin.get(server) ?? 'ready',
        status: admin.get(server) === 'drain' ? 'DRAIN' : 'UP',
        sessions: 0,
      };
    },
    async lbWaitDrained() {
      seen('lbWaitDrained');
      return { drained: true, sessions: 0, waitedMs: 0 };
    },
    // The checks before anything changes: all pass.
    async preflightTarget(_t, version) {
      seen('preflightTarget');
      return [
        { check: 'target-exists', status: 'ok', found: `noop registry has openclaw ${version}` },
        { check: 'node-engine', status: 'skipped', found: 'noop' },
      ];
    },
    async preflightHost() {
      seen('preflightHost');
      return [
        { check: 'host-commands', status: 'ok', found: 'noop' },
        { check: 'disk-space', status: 'ok', found: 'noop' },
      ];
    },
    async preflightRouting() {
      seen('preflightRouting');
      return { check: 'sticky-routing', status: 'ok', found: 'noop' };
    },
    async installedVersion(t) {
      seen('installedVersion');
      return versions.get(`${t.instance.id}:installed`) ?? versions.get(t.instance.id) ?? fromVersion;
    },
    async sendNotification(_target, label) {
      seen('sendNotification');
      return { target: label, status: 200 };
    },
  };
  return {
    activities,
    /** The floor's step: an activity that does nothing at all. */
    async floorStep() {
      seen('floorStep');
    },
    /** Activities run so far by this worker. */
    count: () => count,
  };
}
