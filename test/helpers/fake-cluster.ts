/**
 * Stub activities over an in-memory cluster, for testing the rollout workflows' decisions (retry,
 * rollback, skip, abort, pause, cancellation) on a real local Temporal server without gateways. Every
 * activity keeps the real one's name and answers in its shape; `failNext` makes a named activity fail
 * for one instance, the way the real one fails after its retries (a non-retryable CheckFailedError, so
 * the test does not wait through backoff). The real activities are tested on the real bed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import type { Instance } from '../../src/shared/inventory.js';

export interface FakeInstance {
  version: string;
  /** What was installed and will run after the next restart. */
  installed: string;
  lb: 'ready' | 'drain';
  /** The release whose schema the state has: a release refuses a state migrated by a newer one (exit 78). */
  stateOf: string;
  /** Whether the gateway process runs. */
  running: boolean;
}

export class FakeCluster {
  readonly instances = new Map<string, FakeInstance>();
  /** Every call, in order: `activity instance [arg]`. */
  readonly calls: string[] = [];
  private failures: { activity: string; instance: string; times: number; message: string }[] = [];
  /** Activities that block until cancelled or removed from the set (heartbeating), e.g. to cancel a rollout mid-step: `activity instance`. */
  readonly blockOn = new Set<string>();
  /** What `refusalsByDevice` answers per instance (after rejoin); none by default. */
  readonly refusals = new Map<
    string,
    { perDevice?: Record<string, number>; ambiguous?: number; unattributed?: number }
  >();
  /** What `soakEvidence` counts as refused connects per instance once it runs another release than at the
   *  start (the soak, not preflight's baseline); none by default. */
  readonly soakRefusals = new Map<string, number>();
  /** Instances restarted while their server was in traffic (the runbook never does that). */
  readonly restartedInTraffic: string[] = [];
  /** The most servers out of traffic at any moment. */
  maxDrained = 0;
  /** Backups taken, by path; a path missing here (removed) fails the restore. */
  readonly backups = new Map<string, { instance: string; stateOf: string }>();
  /** Instances whose new release starts on a copy of their state only after doctor --fix (the canary says so). */
  readonly needsFixToStart = new Set<string>();
  /** Pending pairing requests per instance (what `devices list` shows; rejectPairingRequest removes one). */
  readonly pending = new Map<string, { requestId: string; deviceId: string; ts: number }[]>();
  /** States moved aside by restores (kept, never deleted): `instance stateOf`. */
  readonly movedAside: string[] = [];

  constructor(
    ids: string[],
    private readonly startVersion: string,
  ) {
    const version = startVersion;
    for (const id of ids)
      this.instances.set(id, { version, installed: version, lb: 'ready', stateOf: version, running: true });
  }

  /** The next `times` calls of `activity` for `instance` fail. */
  failNext(activity: string, instance: string, message: string, times = 1): void {
    this.failures.push({ activity, instance, times, message });
  }

  /** Puts `instance` on `version` already (as after an earlier rollout). */
  onVersion(instance: string, version: string): void {
    Object.assign(this.instances.get(instance)!, { version, installed: version, stateOf: version });
  }

  /** Starts the installed release on the state, as a gateway would: it migrates an older state and refuses a newer one. */
  private boot(s: FakeInstance): void {
    if (s.stateOf > s.installed)
      throw ApplicationFailure.nonRetryable(
        `${s.installed} refuses the state: database schema(s) are newer than this build (exit 78)`,
        'CheckFailedError',
      );
    s.version = s.installed;
    s.stateOf = s.installed;
    s.running = true;
  }

  /** Servers out of traffic now. */
  drained(): string[] {
    return [...this.instances.entries()].filter(([, i]) => i.lb === 'drain').map(([id]) => id);
  }

  private async enter(activity: string, instance: string, detail = ''): Promise<FakeInstance> {
    this.calls.push(`${activity} ${instance}${detail ? ` ${detail}` : ''}`.trim());
    const f = this.failures.find((x) => x.activity === activity && x.instance === instance && x.times > 0);
    if (f) {
      f.times--;
      throw ApplicationFailure.nonRetryable(f.message, 'CheckFailedError');
    }
    if (this.blockOn.has(`${activity} ${instance}`)) {
      const ctx = Context.current();
      // Until cancelled, or until the test takes the entry out of blockOn.
      while (this.blockOn.has(`${activity} ${instance}`)) {
        ctx.heartbeat();
        await Promise.race([ctx.cancelled, new Promise((r) => setTimeout(r, 200))]);
      }
    }
    const state = this.instances.get(instance);
    if (!state) throw ApplicationFailure.nonRetryable(`unknown instance ${instance}`, 'ConfigurationError');
    return state;
  }

  /** The activities, typed as the real ones (workflows cannot tell the difference). */
  activities(): Activities {
    const id = (t: { instance: Instance }) => t.instance.id;
    const server = (s: string) => s; // the fake's lbServer is the instance id
    const status = (s: FakeInstance) => ({
      healthy: s.running,
      runtimeRunning: s.running,
      rpcOk: s.running,
      // As the real parser: the version comes from the RPC answer, none while stopped.
      version: s.running ? s.version : null,
      bootId: 'b',
      pid: 1,
      url: null,
    });
    const acts = {
      gatewayStatus: async (t: { instance: Instance }) => status(await this.enter('gatewayStatus', id(t))),
      listDevices: async (t: { instance: Instance }) => (
        await this.enter('listDevices', id(t)),
        {
          paired: t.instance.devices.map((d) => ({ deviceId: d.deviceId, connected: true })),
          pending: this.pending.get(id(t)) ?? [],
        }
      ),
      rejectPairingRequest: async (t: { instance: Instance }, requestId: string) => {
        await this.enter('rejectPairingRequest', id(t), requestId);
        const left = (this.pending.get(id(t)) ?? []).filter((p) => p.requestId !== requestId);
        const gone = left.length === (this.pending.get(id(t)) ?? []).length;
        this.pending.set(id(t), left);
        return gone ? { requestId, gone: true } : { requestId, deviceId: 'rejected-device', gone: false };
      },
      listPendingRequests: async (t: { instance: Instance }) => (await this.enter('listPendingRequests', id(t)), []),
      rotateDeviceToken: async (t: { instance: Instance }, d: { deviceId: string; role: string }) => (
        await this.enter('rotateDeviceToken', id(t), d.deviceId),
        {
          deviceId: d.deviceId,
          role: d.role,
          scopes: [],
          rotatedAtMs: Date.now(),
          tokenDelivery: 'withheld-cross-device',
        }
      ),
      revokeDeviceRole: async (t: { instance: Instance }, deviceId: string, role: string) => (
        await this.enter('revokeDeviceRole', id(t), deviceId),
        { deviceId, role, revokedAtMs: Date.now() }
      ),
      approvePairingRequest: async (t: { instance: Instance }, requestId: string) => (
        await this.enter('approvePairingRequest', id(t), requestId),
        { requestId }
      ),
      probeChannels: async (t: { instance: Instance }) => (
        await this.enter('probeChannels', id(t)),
        { gatewayReachable: true, healthy: true, channels: [], issues: [] }
      ),
      refusalsByDevice: async (t: { instance: Instance }) => {
        await this.enter('refusalsByDevice', id(t));
        const r = { perDevice: {}, ambiguous: 0, unattributed: 0, ...this.refusals.get(id(t)) };
        const total = Object.values(r.perDevice).reduce((a, b) => a + b, 0) + r.ambiguous + r.unattributed;
        return {
          ...r,
          total,
          samples: total ? ['2026-11-24T12:00:00.000Z device_token_mismatch client=cli role=operator conn=fake'] : [],
        };
      },
      soakEvidence: async (t: { instance: Instance }) => {
        const s = await this.enter('soakEvidence', id(t));
        const refused = s.version !== this.startVersion ? (this.soakRefusals.get(id(t)) ?? 0) : 0;
        const samples = refused ? ['2026-11-30T12:00:00Z device_token_mismatch cli/cli operator'] : [];
        return { healthy: true, channelsOk: true, refused, mismatches: refused, samples, linesRead: 100 };
      },
      countTokenMismatches: async (t: { instance: Instance }) => (
        await this.enter('countTokenMismatches', id(t)),
        { count: 0, samples: [], linesRead: 0 }
      ),
      prepareRelease: async (t: { instance: Instance }, version: string) => (
        await this.enter('prepareRelease', id(t), version),
        { kind: 'cache-warmed', detail: `npm's cache holds ${version}`, durationMs: 1 }
      ),
      // The canary on a copy: the new release migrates an older state by itself, unless the instance is in needsFixToStart.
      canaryBoot: async (t: { instance: Instance }, version: string) => {
        const s = await this.enter('canaryBoot', id(t), version);
        if (s.stateOf > version)
          throw ApplicationFailure.nonRetryable(
            `${version} refuses the state of ${s.stateOf} (exit 78)`,
            'CheckFailedError',
          );
        const bootsByItself = !this.needsFixToStart.has(id(t));
        const migrated = s.stateOf < version ? [`state of ${s.stateOf} migrated to ${version}`] : [];
        return { bootsByItself, migrated, readyMs: 1, durationMs: 1 };
      },
      installVersion: async (t: { instance: Instance }, version: string) => {
        const s = await this.enter('installVersion', id(t), version);
        const before = s.installed;
        s.installed = version;
        if (t.instance.install.type === 'source') {
          if (s.running)
            throw ApplicationFailure.retryable('agent database is in use (the gateway runs)', 'TransientError');
          const update = { status: 'ok', before, after: version, changed: before !== version, facts: [] };
          const reportPath = `/state/update-reports/${id(t)}.md`;
          return {
            kind: 'source',
            command: 'openclaw update',
            durationMs: 1,
            update: { ...update, reportPath, installKind: 'package' },
          };
        }
        return { kind: 'global', command: `npm i -g openclaw@${version}`, durationMs: 1 };
      },
      runDoctor: async (t: { instance: Instance }) => (
        await this.enter('runDoctor', id(t)),
        {
          passed: true,
          errors: [],
          migrations: [],
          blockingMigrations: [],
          warnings: [],
          migrationPending: false,
          stateTooNew: false,
        }
      ),
      restartGateway: async (t: { instance: Instance }, expectVersion?: string) => {
        const s = await this.enter('restartGateway', id(t), expectVersion);
        if (s.lb === 'ready') this.restartedInTraffic.push(id(t));
        const before = status(s);
        this.boot(s);
        if (expectVersion && s.version !== expectVersion)
          throw ApplicationFailure.nonRetryable(`runs ${s.version}, expected ${expectVersion}`, 'CheckFailedError');
        return { command: 'restart', before, after: status(s), downMs: 1 };
      },
      runReconnectHook: async (t: { instance: Instance }) => (
        await this.enter('runReconnectHook', id(t)),
        { command: 'hook', durationMs: 1 }
      ),
      waitForDeviceBack: async (t: { instance: Instance }) => (
        await this.enter('waitForDeviceBack', id(t)),
        { back: true, waitedMs: 1 }
      ),
      lbDrain: async (_lb: unknown, s: string) => {
        (await this.enter('lbDrain', server(s))).lb = 'drain';
        this.maxDrained = Math.max(this.maxDrained, this.drained().length);
      },
      lbReady: async (_lb: unknown, s: string) => {
        (await this.enter('lbReady', server(s))).lb = 'ready';
      },
      lbState: async (_lb: unknown, s: string) => {
        const st = await this.enter('lbState', server(s));
        return { admin: st.lb, status: st.lb === 'ready' ? 'UP' : 'DRAIN', sessions: 0 };
      },
      confirmRoleRevoked: async (t: { instance: Instance }) => (
        await this.enter('confirmRoleRevoked', id(t)),
        { revoked: true }
      ),
      pairingRequestsSince: async (t: { instance: Instance }, d: { scopes: string[] }) => (
        await this.enter('pairingRequestsSince', id(t)),
        { matching: [{ requestId: 'req-00000001', scopes: d.scopes }], other: [] }
      ),
      checkDeviceRepaired: async (t: { instance: Instance }, d: { scopes: string[] }) => (
        await this.enter('checkDeviceRepaired', id(t)),
        { problems: [], samples: [], scopes: d.scopes }
      ),
      createBackup: async (t: { instance: Instance }, running: string) => {
        const s = await this.enter('createBackup', id(t), running);
        const path = `/backups/${id(t)}/openclaw-backup-${id(t)}-${running}-${this.backups.size + 1}.tar.gz`;
        this.backups.set(path, { instance: id(t), stateOf: s.stateOf });
        return {
          path,
          sha256: 'a'.repeat(64),
          bytes: 4_194_304,
          createdAt: new Date().toISOString(),
          version: running,
        };
      },
      checkBackupArchive: async (t: { instance: Instance }, b: { path: string; sha256: string; bytes: number }) => {
        await this.enter('checkBackupArchive', id(t), b.path);
        if (!this.backups.has(b.path))
          throw ApplicationFailure.nonRetryable(
            `the backup archive ${b.path} is missing; nothing was stopped or moved: the migrated state is untouched`,
            'ConfigurationError',
          );
        return { path: b.path, sha256: b.sha256, bytes: b.bytes };
      },
      stopGateway: async (t: { instance: Instance }) => {
        const s = await this.enter('stopGateway', id(t));
        if (s.lb === 'ready') this.restartedInTraffic.push(id(t));
        s.running = false;
        return { command: 'stop', durationMs: 1 };
      },
      restoreBackup: async (t: { instance: Instance }, b: { path: string }) => {
        const s = await this.enter('restoreBackup', id(t), b.path);
        const backup = this.backups.get(b.path);
        if (!backup)
          throw ApplicationFailure.nonRetryable(
            `the backup archive ${b.path} is missing; nothing was moved: the migrated state is untouched`,
            'ConfigurationError',
          );
        if (s.running) throw ApplicationFailure.nonRetryable('the gateway still runs', 'CheckFailedError');
        this.movedAside.push(`${id(t)} ${s.stateOf}`);
        s.stateOf = backup.stateOf;
        return { movedAsideTo: `/state.migrated-${this.movedAside.length}`, restoredFrom: b.path };
      },
      // The new release's doctor --fix (gateway stopped): migrates a state older than the install, refuses a newer one.
      runDoctorFix: async (t: { instance: Instance }) => {
        const s = await this.enter('runDoctorFix', id(t));
        if (s.running)
          throw ApplicationFailure.nonRetryable(
            `refusing to run \`openclaw doctor --fix\` on instance ${id(t)}: the gateway still answers. Nothing was changed.`,
            'CheckFailedError',
          );
        if (s.stateOf > s.installed)
          throw ApplicationFailure.nonRetryable(
            `the installed release ${s.installed} refuses the state of ${s.stateOf}; restore the backup (decide rollback)`,
            'CheckFailedError',
          );
        const fixed =
          s.stateOf < s.installed
            ? [`core/doctor/fake: state of ${s.stateOf} has a legacy schema; run openclaw doctor --fix to migrate it.`]
            : [];
        s.stateOf = s.installed;
        return {
          fixed,
          errors: [],
          warnings: [],
          requiredBefore: fixed,
          migrationPendingBefore: fixed.length > 0,
          changes: fixed.length ? ['Migrated the fake state'] : [],
          command: 'openclaw doctor --fix --non-interactive',
          durationMs: 1,
        };
      },
      releaseSchemaVersions: async (t: { instance: Instance }, version: string) => (
        await this.enter('releaseSchemaVersions', id(t), version),
        { version, schemaVersions: null }
      ),
      planReleaseJump: async (t: { instance: Instance }, from: string, to: string) => (
        await this.enter('planReleaseJump', id(t)),
        {
          from,
          to,
          direction: 'upgrade',
          crossed: [],
          schemaChanges: [],
          migrations: 'unknown',
          rollbackNeedsBackup: true,
          summary: `${from} → ${to}`,
        }
      ),
      checkRestoredDatabases: async (t: { instance: Instance }) => {
        const s = await this.enter('checkRestoredDatabases', id(t));
        const status =
          s.stateOf === s.installed ? 'exact' : s.stateOf > s.installed ? 'incompatible' : 'migration-required';
        return { databases: [{ path: 'state/openclaw.sqlite', status }], allExact: status === 'exact' };
      },
      startGateway: async (t: { instance: Instance }, expectVersion: string) => {
        const s = await this.enter('startGateway', id(t), expectVersion);
        if (s.lb === 'ready') this.restartedInTraffic.push(id(t));
        this.boot(s);
        if (s.version !== expectVersion)
          throw ApplicationFailure.nonRetryable(`runs ${s.version}, expected ${expectVersion}`, 'CheckFailedError');
        return { command: 'start', version: s.version };
      },
      lbWaitDrained: async (_lb: unknown, s: string) => (
        await this.enter('lbWaitDrained', server(s)),
        { drained: true, sessions: 0, waitedMs: 1 }
      ),
      // The checks before anything changes pass and are not recorded in `calls` (tests list what changes things).
      preflightTarget: async (_t: { instance: Instance }, version: string) => [
        { check: 'target-exists', status: 'ok', found: `fake registry has ${version}` },
        { check: 'node-engine', status: 'skipped', found: 'fake' },
      ],
      preflightHost: async () => [
        { check: 'host-commands', status: 'ok', found: 'fake' },
        { check: 'disk-space', status: 'ok', found: 'fake' },
      ],
      preflightRouting: async () => ({ check: 'sticky-routing', status: 'ok', found: 'fake' }),
      /** What is installed (a failed install changes nothing unless the fake's installVersion ran). */
      installedVersion: async (t: { instance: Instance }) => (await this.enter('installedVersion', id(t))).installed,
    };
    return acts as unknown as Activities;
  }
}
