// Parser tests on output captured from the real openclaw 2026.9.6 CLI (test/fixtures/openclaw). Each test
// asserts what an operator would check by hand on the same output; expected values are read off the
// fixtures (or recomputed from their raw text), never from the parsers themselves.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countMismatches,
  parseBackupCreate,
  parseBackupManifest,
  parseBackupRestore,
  parseDatabasePreflight,
  parseGatewayProbeUrl,
  parseChannelsStatus,
  parseDevicesApprove,
  parseDevicesReject,
  parseDevicesList,
  parseDevicesRevoke,
  parseDevicesRotate,
  parseDoctor,
  parseGatewayStatus,
  parseLogs,
  parseRestart,
  parseUpdate,
  reconnectedAfterRotation,
  tokenFor,
  type Captured,
  type PairedDevice,
} from '../../src/activities/openclaw/parse/index.js';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../src/shared/errors.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8');

/** The exit code captured next to a fixture (`<base>.exitcode`), 0 when none was recorded. */
const exitCodeOf = (base: string): number => {
  const url = new URL(`../fixtures/openclaw/${base}.exitcode`, import.meta.url);
  return existsSync(url) ? Number(readFileSync(url, 'utf8').trim()) : 0;
};

const stdoutOnly = (name: string, base = name.replace(/\.(json|txt|ndjson)$/, '')): Captured => ({
  stdout: fixture(name),
  stderr: '',
  exitCode: exitCodeOf(base),
});

/** The unknown-device `.txt` captures hold stdout followed by stderr; the stderr part starts at the first `[openclaw]` line. */
const splitCombined = (text: string): { stdout: string; stderr: string } => {
  const at = text.search(/^\[openclaw\]/m);
  return at < 0 ? { stdout: text, stderr: '' } : { stdout: text.slice(0, at), stderr: text.slice(at) };
};

/** Catches what `fn` throws (fails the test if it returns). */
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the parser to throw, but it returned');
};

const DEVICE_ID = '15ee914571e4de8df8dc6322e1f5bcd6a8bb6e748a8ddc9ffa017b4c7c60a905';
const REQUEST_ID = '0fd1fa01-4a30-45d7-bb64-e2617f9644f6';

describe('parseGatewayStatus', () => {
  it('reports a running gateway that answered RPC as healthy, with its version, boot id, pid and url', () => {
    const s = parseGatewayStatus(stdoutOnly('gateway-status.ok.json'));
    expect(s).toEqual({
      healthy: true,
      runtimeRunning: true,
      rpcOk: true,
      version: '2026.9.6',
      bootId: 'a2b36d0c-bfc3-4f35-8c8e-b243f8645c03',
      pid: 3908,
      url: 'ws://127.0.0.1:19100',
    });
  });

  it('reports a stopped gateway (exit 1, port free, RPC refused) as not healthy with no version', () => {
    const out = stdoutOnly('gateway-status.down.json');
    expect(out.exitCode).toBe(1);
    const s = parseGatewayStatus(out);
    expect(s).toMatchObject({
      healthy: false,
      runtimeRunning: false,
      rpcOk: false,
      version: null,
      bootId: null,
      pid: null,
    });
    expect(s.url).toBe('ws://127.0.0.1:19100');
  });

  it('is not healthy when RPC answers but nothing listens on the port', () => {
    const json = JSON.parse(fixture('gateway-status.ok.json')) as { port: { listeners: unknown[] } };
    json.port.listeners = [];
    const s = parseGatewayStatus({ stdout: JSON.stringify(json), stderr: '', exitCode: 0 });
    expect(s).toMatchObject({ healthy: false, runtimeRunning: false, rpcOk: true, pid: null });
  });

  it('does not trust exit code 0: the JSON decides', () => {
    const s = parseGatewayStatus({ ...stdoutOnly('gateway-status.down.json'), exitCode: 0 });
    expect(s.healthy).toBe(false);
  });

  it('throws UnexpectedOutputError on output that is not the status JSON', () => {
    expect(() => parseGatewayStatus(stdoutOnly('devices-list.empty.json'))).toThrow(UnexpectedOutputError);
    expect(() => parseGatewayStatus({ stdout: '', stderr: 'segfault', exitCode: 139 })).toThrow(UnexpectedOutputError);
  });
});

describe('parseDevicesList', () => {
  it('reads an empty list', () => {
    expect(parseDevicesList(stdoutOnly('devices-list.empty.json'))).toEqual({ pending: [], paired: [] });
  });

  it('reads a pending pairing request with its requestId, device, role and scopes', () => {
    const list = parseDevicesList(stdoutOnly('devices-list.pending.json'));
    expect(list.paired).toEqual([]);
    expect(list.pending).toHaveLength(1);
    expect(list.pending[0]).toMatchObject({
      requestId: REQUEST_ID,
      deviceId: DEVICE_ID,
      role: 'operator',
      roles: ['operator'],
      scopes: ['operator.read'],
      clientId: 'cli',
      ts: 1795528005750,
    });
  });

  it('reads a paired device with its tokens, connected flag and lastSeenAtMs', () => {
    const list = parseDevicesList(stdoutOnly('devices-list.paired.json'));
    expect(list.pending).toEqual([]);
    expect(list.paired).toHaveLength(1);
    const d = list.paired[0]!;
    expect(d).toMatchObject({
      deviceId: DEVICE_ID,
      role: 'operator',
      scopes: ['operator.read'],
      connected: false,
      lastSeenAtMs: 1795528009844,
    });
    expect(d.tokens).toHaveLength(1);
    expect(d.tokens[0]).toMatchObject({
      role: 'operator',
      scopes: ['operator.read'],
      createdAtMs: 1795528009748,
      lastUsedAtMs: 1795528009841,
    });
    // Never rotated yet: the fixture has no rotatedAtMs.
    expect(d.tokens[0]!.rotatedAtMs).toBeUndefined();
    expect(tokenFor(d, 'operator')).toBe(d.tokens[0]);
    expect(tokenFor(d, 'node')).toBeUndefined();
  });

  it('reads rotatedAtMs and revokedAtMs of tokens; a revoked token is not the live one', () => {
    const json = JSON.parse(fixture('devices-list.paired.json')) as {
      paired: Array<{ tokens: Array<Record<string, unknown>> }>;
    };
    const tok = json.paired[0]!.tokens[0]!;
    tok.rotatedAtMs = 1795528015086;
    const d = parseDevicesList({ stdout: JSON.stringify(json), stderr: '', exitCode: 0 }).paired[0]!;
    expect(d.tokens[0]!.rotatedAtMs).toBe(1795528015086);
    expect(tokenFor(d, 'operator')?.rotatedAtMs).toBe(1795528015086);

    tok.revokedAtMs = 1795528021091;
    const revoked = parseDevicesList({ stdout: JSON.stringify(json), stderr: '', exitCode: 0 }).paired[0]!;
    expect(revoked.tokens[0]!.revokedAtMs).toBe(1795528021091);
    expect(tokenFor(revoked, 'operator')).toBeUndefined();
  });

  it('throws TransientError when the gateway is down (error envelope on stdout)', () => {
    const out = stdoutOnly('devices-list.down.json');
    const err = thrown(() => parseDevicesList(out));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('not reachable');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('throws UnexpectedOutputError on another command’s JSON', () => {
    expect(() => parseDevicesList({ stdout: '[]', stderr: '', exitCode: 0 })).toThrow(UnexpectedOutputError);
    expect(() => parseDevicesList({ stdout: '{"paired":[{"role":"operator"}]}', stderr: '', exitCode: 0 })).toThrow(
      UnexpectedOutputError,
    );
  });
});

describe('reconnectedAfterRotation', () => {
  const ROTATED_AT = 1795528015086;
  /** The paired fixture's device with some fields changed. */
  const pairedDevice = (
    change: (raw: Record<string, unknown> & { tokens: Array<Record<string, unknown>> }) => void,
  ): PairedDevice => {
    const json = JSON.parse(fixture('devices-list.paired.json')) as {
      paired: Array<Record<string, unknown> & { tokens: Array<Record<string, unknown>> }>;
    };
    change(json.paired[0]!);
    return parseDevicesList({ stdout: JSON.stringify(json), stderr: '', exitCode: 0 }).paired[0]!;
  };

  it('is true for a device connected again and seen after the rotation, with a live token', () => {
    const d = pairedDevice((raw) => {
      raw.connected = true;
      raw.lastSeenAtMs = ROTATED_AT + 1200;
      raw.tokens[0]!.rotatedAtMs = ROTATED_AT;
    });
    expect(reconnectedAfterRotation(d, 'operator', ROTATED_AT)).toBe(true);
  });

  it('is false for the fixture as captured (not connected)', () => {
    const d = pairedDevice(() => {});
    expect(d.connected).toBe(false);
    expect(reconnectedAfterRotation(d, 'operator', d.lastSeenAtMs! - 1000)).toBe(false);
  });

  it('is false when the device was last seen before (or exactly at) the rotation', () => {
    const before = pairedDevice((raw) => {
      raw.connected = true;
      raw.lastSeenAtMs = ROTATED_AT - 1;
    });
    expect(reconnectedAfterRotation(before, 'operator', ROTATED_AT)).toBe(false);
    const same = pairedDevice((raw) => {
      raw.connected = true;
      raw.lastSeenAtMs = ROTATED_AT;
    });
    expect(reconnectedAfterRotation(same, 'operator', ROTATED_AT)).toBe(false);
  });

  it('is false when lastSeenAtMs is missing, even if connected (lastUsedAtMs does not count)', () => {
    const d = pairedDevice((raw) => {
      raw.connected = true;
      delete raw.lastSeenAtMs;
      raw.tokens[0]!.lastUsedAtMs = ROTATED_AT + 5000;
    });
    expect(reconnectedAfterRotation(d, 'operator', ROTATED_AT)).toBe(false);
  });

  it('is false when the role token was revoked, or for a role the device has no token for', () => {
    const revoked = pairedDevice((raw) => {
      raw.connected = true;
      raw.lastSeenAtMs = ROTATED_AT + 1200;
      raw.tokens[0]!.revokedAtMs = ROTATED_AT + 100;
    });
    expect(reconnectedAfterRotation(revoked, 'operator', ROTATED_AT)).toBe(false);
    const live = pairedDevice((raw) => {
      raw.connected = true;
      raw.lastSeenAtMs = ROTATED_AT + 1200;
    });
    expect(reconnectedAfterRotation(live, 'node', ROTATED_AT)).toBe(false);
  });
});

describe('parseDevicesRotate / parseDevicesRevoke', () => {
  it('reads a rotation: device, role, scopes, rotatedAtMs and the withheld token delivery', () => {
    expect(parseDevicesRotate(stdoutOnly('devices-rotate.json'))).toEqual({
      deviceId: DEVICE_ID,
      role: 'operator',
      scopes: ['operator.read'],
      rotatedAtMs: 1795528015086,
      tokenDelivery: 'withheld-cross-device',
    });
  });

  it('reads a revocation: device, role, revokedAtMs', () => {
    expect(parseDevicesRevoke(stdoutOnly('devices-revoke.json'))).toEqual({
      deviceId: DEVICE_ID,
      role: 'operator',
      revokedAtMs: 1795528021091,
    });
  });

  it('the combined .txt captures are the .json stdout followed by the stderr hints', () => {
    for (const base of ['devices-rotate.unknown-device', 'devices-revoke.unknown-device']) {
      const { stdout, stderr } = splitCombined(fixture(`${base}.txt`));
      expect(stdout.trim()).toBe(fixture(`${base}.json`).trim());
      expect(stderr).toMatch(/^\[openclaw\] The CLI command failed\./);
    }
    expect(splitCombined(fixture('devices-rotate.unknown-device.txt')).stderr.trim()).toBe(
      fixture('devices-rotate.unknown-device.stderr.txt').trim(),
    );
  });

  it('rotate of an unknown device throws ConfigurationError quoting the CLI’s reason', () => {
    const out: Captured = {
      stdout: fixture('devices-rotate.unknown-device.json'),
      stderr: fixture('devices-rotate.unknown-device.stderr.txt'),
      exitCode: exitCodeOf('devices-rotate.unknown-device'),
    };
    expect(out.exitCode).toBe(1);
    const err = thrown(() => parseDevicesRotate(out));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('device token rotation denied');
    // Same result from the combined capture split back into its two streams.
    const err2 = thrown(() =>
      parseDevicesRotate({ ...splitCombined(fixture('devices-rotate.unknown-device.txt')), exitCode: 1 }),
    );
    expect(err2).toBeInstanceOf(ConfigurationError);
    expect(err2.message).toContain('device token rotation denied');
  });

  it('revoke of an unknown device throws ConfigurationError quoting the CLI’s reason', () => {
    const out: Captured = {
      ...splitCombined(fixture('devices-revoke.unknown-device.txt')),
      exitCode: exitCodeOf('devices-revoke.unknown-device'),
    };
    expect(out.exitCode).toBe(1);
    const err = thrown(() => parseDevicesRevoke(out));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('device token revocation denied');
  });

  it('a gateway that is down gives TransientError for rotate and revoke, not ConfigurationError', () => {
    const out = stdoutOnly('devices-list.down.json');
    for (const parse of [parseDevicesRotate, parseDevicesRevoke]) {
      const err = thrown(() => parse(out));
      expect(err).toBeInstanceOf(TransientError);
    }
  });

  it('a revocation result is not accepted as a rotation (and vice versa)', () => {
    expect(() => parseDevicesRotate(stdoutOnly('devices-revoke.json'))).toThrow(UnexpectedOutputError);
    expect(() => parseDevicesRevoke(stdoutOnly('devices-rotate.json'))).toThrow(UnexpectedOutputError);
  });
});

describe('parseDevicesReject (captured from 2026.9.5)', () => {
  const REJECTED = 'dc782407-7e9a-49e2-b301-1fb71c70e08c';
  it('reads the rejected request and its device', () => {
    expect(parseDevicesReject(stdoutOnly('devices-reject.json'), REJECTED)).toEqual({
      requestId: REJECTED,
      deviceId: 'a9ce854d9e81f0ff6f0b6bc0635e5d601d706fcac98e04dcf5b5e9335bcc88f4',
      gone: false,
    });
  });

  it('a request that is no longer pending (exit 1, "unknown requestId") is gone, not an error: a retry finds it rejected', () => {
    const out: Captured = {
      stdout: fixture('devices-reject.unknown-request.json'),
      stderr: fixture('devices-reject.unknown-request.stderr.txt'),
      exitCode: exitCodeOf('devices-reject.unknown-request'),
    };
    expect(out.exitCode).toBe(1);
    expect(parseDevicesReject(out, REJECTED)).toEqual({ requestId: REJECTED, gone: true });
  });

  it('another CLI failure is not read as gone', () => {
    const out: Captured = {
      stdout: JSON.stringify({
        ok: false,
        error: { type: 'gateway_transport_error', message: 'connect ECONNREFUSED' },
      }),
      stderr: '',
      exitCode: 1,
    };
    expect(thrown(() => parseDevicesReject(out, REJECTED))).toBeInstanceOf(TransientError);
  });
});

describe('parseDevicesApprove', () => {
  it('reads the approved device', () => {
    expect(parseDevicesApprove(stdoutOnly('devices-approve.json'), REQUEST_ID)).toEqual({
      requestId: REQUEST_ID,
      deviceId: DEVICE_ID,
    });
  });

  it('an unknown request id (exit 1, stderr "No pending device request matches") throws ConfigurationError', () => {
    const code = exitCodeOf('devices-approve.unknown');
    expect(code).toBe(1);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const combined = fixture('devices-approve.unknown.txt');
    expect(combined).toContain(`No pending device request matches ${unknownId}`);
    const err = thrown(() => parseDevicesApprove({ stdout: '', stderr: combined, exitCode: code }, unknownId));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain(unknownId);
    expect(err.message).toMatch(/no pending request/i);

    const err2 = thrown(() =>
      parseDevicesApprove(
        { stdout: '', stderr: fixture('devices-approve.unknown-request.stderr.txt'), exitCode: 1 },
        'nosuchrequest',
      ),
    );
    expect(err2).toBeInstanceOf(ConfigurationError);
    expect(err2.message).toContain('nosuchrequest');
  });

  it('the preview printed without a request id (exit 1) is not taken for an approval', () => {
    const out = stdoutOnly('devices-approve.preview.txt', 'devices-approve.preview');
    expect(out.exitCode).toBe(1);
    expect(() => parseDevicesApprove(out, REQUEST_ID)).toThrow(UnexpectedOutputError);
  });
});

describe('parseChannelsStatus', () => {
  it('reads a reachable gateway with no issues as healthy (exit 0 and no gatewayReachable field)', () => {
    const raw = JSON.parse(fixture('channels-status.ok.json')) as Record<string, unknown>;
    expect(raw.gatewayReachable).toBeUndefined();
    expect(parseChannelsStatus(stdoutOnly('channels-status.ok.json'))).toEqual({
      gatewayReachable: true,
      healthy: true,
      channels: [],
      issues: [],
    });
  });

  it('reads a down gateway as unreachable with the first line of its error as the issue', () => {
    const c = parseChannelsStatus(stdoutOnly('channels-status.down.json'));
    expect(c.gatewayReachable).toBe(false);
    expect(c.healthy).toBe(false);
    expect(c.issues).toEqual(['Gateway not reachable after waiting 3 s.']);
  });

  it('a status issue makes a reachable gateway unhealthy; channel names are listed', () => {
    const raw = JSON.parse(fixture('channels-status.ok.json')) as Record<string, unknown>;
    raw.channels = { telegram: { configured: true }, discord: {} };
    raw.statusIssues = [{ channel: 'telegram', message: 'bot token rejected' }];
    const c = parseChannelsStatus({ stdout: JSON.stringify(raw), stderr: '', exitCode: 0 });
    expect(c.gatewayReachable).toBe(true);
    expect(c.healthy).toBe(false);
    expect(c.channels).toEqual(['telegram', 'discord']);
    expect(c.issues).toHaveLength(1);
    expect(c.issues[0]).toContain('bot token rejected');
  });
});

describe('parseDoctor', () => {
  it('passes on warnings only, listing them, although doctor’s own ok is false', () => {
    const raw = JSON.parse(fixture('doctor.warnings.json')) as {
      ok: boolean;
      findings: Array<{ checkId: string; severity: string; message: string }>;
    };
    expect(raw.ok).toBe(false);
    const d = parseDoctor(stdoutOnly('doctor.warnings.json'));
    expect(d.passed).toBe(true);
    expect(d.errors).toEqual([]);
    expect(d.warnings).toHaveLength(2);
    expect(d.warnings[0]).toMatch(/^core\/doctor\/node-hosting-preconditions: Gateway is only bound to loopback\./);
    expect(d.warnings[1]).toMatch(
      /^core\/doctor\/security: WARNING: openclaw\.json contains plaintext secret-bearing config fields\./,
    );
  });

  it('fails when a finding has severity error', () => {
    const raw = JSON.parse(fixture('doctor.warnings.json')) as { findings: Array<{ severity: string }> };
    raw.findings[1]!.severity = 'error';
    const d = parseDoctor({ stdout: JSON.stringify(raw), stderr: '', exitCode: 1 });
    expect(d.passed).toBe(false);
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatch(/^core\/doctor\/security: /);
    expect(d.warnings).toHaveLength(1);
  });
});

describe('parseUpdate', () => {
  it('reads a dry run as skipped, unchanged, from 2026.9.6', () => {
    const u = parseUpdate(stdoutOnly('update.dry-run.json'));
    expect(u.status).toBe('skipped');
    expect(u.reason).toBe('dry-run');
    expect(u.before).toBe('2026.9.6');
    expect(u.changed).toBe(false);
  });

  it('throws TransientError on a failed run, naming its status and reason', () => {
    const raw = JSON.parse(fixture('update.dry-run.json')) as { run: { status: string; reason: string } };
    raw.run.status = 'failed';
    raw.run.reason = 'npm install exited 1';
    const err = thrown(() => parseUpdate({ stdout: JSON.stringify(raw), stderr: '', exitCode: 1 }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('"failed"');
    expect(err.message).toContain('npm install exited 1');
  });

  it('does not take `update status` output for an update result', () => {
    expect(() => parseUpdate(stdoutOnly('update-status.package.json'))).toThrow(UnexpectedOutputError);
  });
});

describe('parseRestart', () => {
  it('reads an in-process restart', () => {
    expect(parseRestart(stdoutOnly('gateway-restart.in-process.json'))).toMatchObject({
      ok: true,
      result: 'restarted',
    });
  });
});

describe('parseLogs + countMismatches', () => {
  interface RawRecord {
    type: string;
    time?: string;
    message?: string;
    raw?: string;
  }
  const rawLines = (name: string): RawRecord[] =>
    fixture(name)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as RawRecord);
  /** Independent count: records whose message says reason=device_token_mismatch, optionally in a window. */
  const expectedCount = (records: RawRecord[], sinceMs = -Infinity, untilMs = Infinity, mention?: string): number =>
    records.filter((r) => {
      if (r.type !== 'log' || !r.time || !r.message?.includes('reason=device_token_mismatch')) return false;
      const t = new Date(r.time).getTime();
      if (t < sinceMs || t > untilMs) return false;
      return mention === undefined || r.message.includes(mention);
    }).length;
  const mismatchRaw = rawLines('logs.mismatch.ndjson');
  const firstMismatchMs = Math.min(
    ...mismatchRaw
      .filter((r) => r.message?.includes('reason=device_token_mismatch'))
      .map((r) => new Date(r.time!).getTime()),
  );

  it('reads every line of the capture, meta line first', () => {
    const { records, localFallback } = parseLogs(stdoutOnly('logs.mismatch.ndjson'));
    expect(records).toHaveLength(mismatchRaw.length);
    expect(records[0]!.type).toBe('meta');
    expect(localFallback).toBe(false);
  });

  it('counts each refused connect exactly once (the second "closed before connect" record is not counted)', () => {
    const { records } = parseLogs(stdoutOnly('logs.mismatch.ndjson'));
    const want = expectedCount(mismatchRaw);
    // Read off the capture: connections d962958e, c5e3b709, e1c1ade3 and ed241b2f were refused.
    expect(want).toBe(4);
    // A raw grep counts each refusal twice: the closing record carries authReason in its structured part.
    const grepped = fixture('logs.mismatch.ndjson')
      .split('\n')
      .filter((l) => l.includes('device_token_mismatch')).length;
    expect(grepped).toBe(2 * want);
    // And the refused connects, by connection id, are as many as the counted records.
    const conns = new Set(
      mismatchRaw
        .filter(
          (r) =>
            r.raw?.includes('"authReason\\":\\"device_token_mismatch') ||
            r.message?.includes('reason=device_token_mismatch'),
        )
        .map((r) => /conn=([0-9a-f-]+)/.exec(r.message ?? '')?.[1]),
    );
    expect(conns.size).toBe(want);

    const c = countMismatches(records, { sinceMs: 0 });
    expect(c.count).toBe(want);
    expect(c.samples.length).toBe(Math.min(3, want));
    // A sample shows the whole refusal: when, which connection, and why.
    expect(c.samples[0]).toContain('2026-11-24T13:43:44.455+00:00');
    expect(c.samples[0]).toContain('conn=d962958e-0e83-46e5-8b86-fbc71b8225dc');
    expect(c.samples[0]).toContain('reason=device_token_mismatch');
  });

  it('honours the time window', () => {
    const { records } = parseLogs(stdoutOnly('logs.mismatch.ndjson'));
    expect(countMismatches(records, { sinceMs: 0, untilMs: firstMismatchMs - 1 }).count).toBe(0);
    expect(countMismatches(records, { sinceMs: firstMismatchMs, untilMs: firstMismatchMs }).count).toBe(1);
    const since = Date.parse('2026-11-24T13:43:45Z');
    const until = Date.parse('2026-11-24T13:46:51Z');
    const want = expectedCount(mismatchRaw, since, until);
    expect(want).toBe(2);
    expect(countMismatches(records, { sinceMs: since, untilMs: until }).count).toBe(want);
    expect(countMismatches(records, { sinceMs: until }).count).toBe(expectedCount(mismatchRaw, until));
    expect(countMismatches(records, { sinceMs: Date.parse('2026-11-24T14:00:00Z') }).count).toBe(0);
  });

  it('honours the mention filter', () => {
    const { records } = parseLogs(stdoutOnly('logs.mismatch.ndjson'));
    const conn = 'c5e3b709-1219-4ef4-a804-79c30a673520';
    expect(expectedCount(mismatchRaw, -Infinity, Infinity, conn)).toBe(1);
    expect(countMismatches(records, { sinceMs: 0, mention: conn }).count).toBe(1);
    const client = 'v0.1.0-openclaw-rollout-testbed';
    expect(countMismatches(records, { sinceMs: 0, mention: client }).count).toBe(
      expectedCount(mismatchRaw, -Infinity, Infinity, client),
    );
    expect(countMismatches(records, { sinceMs: 0, mention: 'client=some-other-app' }).count).toBe(0);
    // The refusal records do not name the device: filtering by a device id finds none of them.
    expect(
      countMismatches(records, {
        sinceMs: 0,
        mention: '7ddf562789aa8fc842f771f77e53c2d6c5335e582f2ee48875a84a2a02d07c98',
      }).count,
    ).toBe(0);
  });

  it('does not count probe lines (mode=probe)', () => {
    const { records } = parseLogs(stdoutOnly('logs.mismatch.ndjson'));
    const real = records.find((r) => r.message?.includes('reason=device_token_mismatch'))!;
    const probe = { ...real, message: real.message!.replace('client=cli cli', 'client=cli probe mode=probe') };
    expect(countMismatches([probe], { sinceMs: 0 }).count).toBe(0);
    expect(countMismatches([real], { sinceMs: 0 }).count).toBe(1);
  });

  it('finds no mismatch in a plain startup log', () => {
    const { records } = parseLogs(stdoutOnly('logs.startup.ndjson'));
    expect(records).toHaveLength(rawLines('logs.startup.ndjson').length);
    expect(countMismatches(records, { sinceMs: 0 }).count).toBe(0);
  });

  it('throws TransientError with the CLI’s message when it printed an error record', () => {
    const err = thrown(() => parseLogs({ stdout: '', stderr: fixture('logs.error.stderr.txt'), exitCode: 1 }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('invalid logs.tail params');
  });

  it('throws UnexpectedOutputError on no output or a non-JSON line', () => {
    expect(() => parseLogs({ stdout: '', stderr: '', exitCode: 0 })).toThrow(UnexpectedOutputError);
    expect(() =>
      parseLogs({ stdout: `${fixture('logs.startup.ndjson')}\nnot json\n`, stderr: '', exitCode: 0 }),
    ).toThrow(UnexpectedOutputError);
  });
});

describe('gateway status in remote mode (--url)', () => {
  it('trusts an answering RPC probe when the process cannot be seen from this host', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../fixtures/openclaw/gateway-status.ok.json', import.meta.url), 'utf8'),
    ) as { port: { listeners: unknown[] } };
    raw.port.listeners = [];
    const out = { stdout: JSON.stringify(raw), stderr: '', exitCode: 0 };
    expect(parseGatewayStatus(out).healthy).toBe(false);
    expect(parseGatewayStatus(out, { remote: true }).healthy).toBe(true);
    const down = {
      stdout: readFileSync(new URL('../fixtures/openclaw/gateway-status.down.json', import.meta.url), 'utf8'),
      stderr: '',
      exitCode: 1,
    };
    expect(parseGatewayStatus(down, { remote: true }).healthy).toBe(false);
  });
});

describe('doctor right after an install under a running gateway', () => {
  it('reads the JSON line after the human "Doctor warnings" box and keeps the box (it asks for doctor --fix: a migration)', () => {
    const text = readFileSync(new URL('../fixtures/openclaw/doctor.migration-notice.txt', import.meta.url), 'utf8');
    const report = parseDoctor({ stdout: text, stderr: '', exitCode: 0 });
    expect(report.passed).toBe(true);
    expect(report.migrations[0]).toContain('uses schema version 21; stop active agents and run openclaw doctor --fix');
    expect(report.warnings.length).toBe(
      (JSON.parse(text.trim().split('\n').at(-1)!) as { findings: unknown[] }).findings.length,
    );
  });
});

// Backup / restore / preflight: captured from the bed's gateways on 2026.9.5 (the release a rollback
// returns to), `database preflight` also from 2026.9.6 on the same copy.
const BED_GW2 = '/work/main/.bed/helper-backup/gw-2';
const jsonOf = <T>(name: string): T => JSON.parse(fixture(name)) as T;

describe('parseBackupCreate', () => {
  it('reads the verified archive, its root, and the state and config assets', () => {
    const raw = jsonOf<{ archivePath: string; archiveRoot: string; assets: { kind: string; sourcePath: string }[] }>(
      'backup-create.json',
    );
    const r = parseBackupCreate(stdoutOnly('backup-create.json'));
    expect(r.archivePath).toBe(`${BED_GW2.replace('gw-2', 'gw2-bk')}/test1.tar.gz`);
    expect(r.archivePath).toBe(raw.archivePath);
    expect(r.archiveRoot).toBe(raw.archiveRoot);
    expect(r.verified).toBe(true);
    expect(r.dryRun).toBe(false);
    expect(r.stateDir).toBe(`${BED_GW2}/state`);
    expect(r.configPath).toBe(`${BED_GW2}/openclaw.json`);
    expect(r.assets.map((a) => a.kind)).toEqual(['state', 'config']);
    expect(r.skipped).toContainEqual({
      kind: 'workspace',
      sourcePath: `${BED_GW2}/state/workspace`,
      reason: 'missing',
    });
  });

  it('reads a dry run (the plan: where the state dir is), not verified, only when asked for one', () => {
    const r = parseBackupCreate(stdoutOnly('backup-create.dry-run.json'), { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.verified).toBe(false);
    expect(r.stateDir).toBe(`${BED_GW2}/state`);
    expect(() => parseBackupCreate(stdoutOnly('backup-create.dry-run.json'))).toThrow(UnexpectedOutputError);
    expect(() => parseBackupCreate(stdoutOnly('backup-create.json'), { dryRun: true })).toThrow(UnexpectedOutputError);
  });

  it('an output inside the state dir and an existing archive are refusals to fix (ConfigurationError, exit 1)', () => {
    for (const base of ['backup-create.inside-state', 'backup-create.exists']) {
      const out = stdoutOnly(`${base}.json`);
      expect(out.exitCode).toBe(1);
      const err = thrown(() => parseBackupCreate(out));
      expect(err).toBeInstanceOf(ConfigurationError);
    }
    expect(thrown(() => parseBackupCreate(stdoutOnly('backup-create.inside-state.json'))).message).toContain(
      `${BED_GW2}/state/x.tar.gz is inside ${BED_GW2}/state`,
    );
    expect(thrown(() => parseBackupCreate(stdoutOnly('backup-create.exists.json'))).message).toContain(
      'Refusing to overwrite existing backup archive',
    );
  });

  it('nothing on stdout with exit 0 (what an older release once did) is UnexpectedOutputError', () => {
    const err = thrown(() => parseBackupCreate({ stdout: '', stderr: '', exitCode: 0 }));
    expect(err).toBeInstanceOf(UnexpectedOutputError);
    expect(err.message).toContain('(nothing)');
  });
});

describe('parseBackupManifest', () => {
  it('reads the manifest of the extracted archive: root, release, paths and assets inside the root', () => {
    const m = parseBackupManifest(fixture('backup-manifest.json'));
    const raw = jsonOf<{ archiveRoot: string }>('backup-manifest.json');
    expect(m.archiveRoot).toBe(raw.archiveRoot);
    expect(m.runtimeVersion).toBe('2026.9.5');
    expect(m.stateDir).toBe(`${BED_GW2}/state`);
    expect(m.configPath).toBe(`${BED_GW2}/openclaw.json`);
    expect(m.assets).toEqual([
      {
        kind: 'state',
        sourcePath: `${BED_GW2}/state`,
        archivePath: `${raw.archiveRoot}/payload/posix${BED_GW2}/state`,
      },
      {
        kind: 'config',
        sourcePath: `${BED_GW2}/openclaw.json`,
        archivePath: `${raw.archiveRoot}/payload/posix${BED_GW2}/openclaw.json`,
      },
    ]);
  });

  it('refuses an asset path that leaves the archive root, and another schema version', () => {
    const raw = jsonOf<{ archiveRoot: string; schemaVersion: number; assets: { archivePath: string }[] }>(
      'backup-manifest.json',
    );
    const escaping = structuredClone(raw);
    escaping.assets[0]!.archivePath = `${raw.archiveRoot}/../../etc`;
    expect(() => parseBackupManifest(JSON.stringify(escaping))).toThrow(UnexpectedOutputError);
    expect(() => parseBackupManifest(JSON.stringify({ ...raw, schemaVersion: 2 }))).toThrow(UnexpectedOutputError);
  });
});

describe('parseBackupRestore', () => {
  it('reads where it extracted, the archive root and the release that made it', () => {
    const r = parseBackupRestore(stdoutOnly('backup-restore.json'));
    expect(r.targetPath).toBe(`${BED_GW2.replace('gw-2', 'gw2-bk')}/restore1`);
    expect(r.archiveRoot).toBe(jsonOf<{ archiveRoot: string }>('backup-manifest.json').archiveRoot);
    expect(r.runtimeVersion).toBe('2026.9.5');
    expect(r.assetCount).toBe(2);
    expect(r.warnings[0]).toMatch(/^Restoring an archive is time travel/);
  });

  it('a missing archive and a non-empty target are ConfigurationErrors quoting the CLI', () => {
    const missing = thrown(() => parseBackupRestore(stdoutOnly('backup-restore.missing-archive.json')));
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect(missing.message).toContain('Archive does not exist');
    const nonEmpty = thrown(() => parseBackupRestore(stdoutOnly('backup-restore.non-empty-target.json')));
    expect(nonEmpty).toBeInstanceOf(ConfigurationError);
    expect(nonEmpty.message).toContain('target directory must be empty');
  });
});

describe('parseDatabasePreflight', () => {
  it('exact: the 2026.9.5 state database checked by 2026.9.5 (schema 17)', () => {
    const p = parseDatabasePreflight(stdoutOnly('database-preflight.exact.json'));
    expect(p).toEqual({
      kind: 'state',
      databasePath: '/tmp/pf/a.sqlite',
      status: 'exact',
      targetVersion: 17,
      foundVersion: 17,
    });
  });

  it('migration-required: the same copy checked by 2026.9.6 (schema 18) exits 0 all the same', () => {
    const out = stdoutOnly('database-preflight.migration-required.json');
    expect(out.exitCode).toBe(0);
    const p = parseDatabasePreflight(out);
    expect(p.status).toBe('migration-required');
    expect(p.detail).toContain('schema 17 in the file, 18 supported by this release');
  });

  it('incompatible: the state 2026.9.6 migrated (schema 18), checked by 2026.9.5 (exit 1)', () => {
    const out = stdoutOnly('database-preflight.incompatible.json');
    expect(out.exitCode).toBe(1);
    const p = parseDatabasePreflight(out);
    expect(p.status).toBe('incompatible');
    expect(p).toMatchObject({ targetVersion: 17, foundVersion: 18 });
    expect(p.detail).toBe('schema 18 in the file, 17 supported by this release');
  });

  it('a copy with -wal/-shm next to it is indeterminate, with the CLI saying why', () => {
    const p = parseDatabasePreflight(stdoutOnly('database-preflight.sidecars.json'));
    expect(p.status).toBe('indeterminate');
    expect(p.detail).toContain('requires a consolidated snapshot with no sidecars; found -wal, -shm');
  });

  it('agent preflight of a non-agent file: incompatible with the reason (exit 1, the JSON decides)', () => {
    const out = stdoutOnly('database-preflight-agent.not-agent.json');
    expect(out.exitCode).toBe(1);
    const p = parseDatabasePreflight(out);
    expect(p.kind).toBe('agent');
    expect(p.status).toBe('incompatible');
    expect(p.detail).toContain('has schema role global; expected agent');
  });

  it('a missing file is indeterminate with the reason', () => {
    const p = parseDatabasePreflight(stdoutOnly('database-preflight.missing.json'));
    expect(p.status).toBe('indeterminate');
    expect(p.detail).toContain('ENOENT');
  });

  it('an unknown status or no output is UnexpectedOutputError', () => {
    const raw = jsonOf<Record<string, unknown>>('database-preflight.exact.json');
    expect(() =>
      parseDatabasePreflight({ stdout: JSON.stringify({ ...raw, status: 'probably-fine' }), stderr: '', exitCode: 0 }),
    ).toThrow(UnexpectedOutputError);
    expect(() => parseDatabasePreflight({ stdout: '', stderr: '', exitCode: 0 })).toThrow(UnexpectedOutputError);
  });
});

describe('parseGatewayProbeUrl', () => {
  it('gives the http address of a gateway that is down (from the config it reads)', () => {
    expect(parseGatewayProbeUrl(stdoutOnly('gateway-status.down.json'))).toBe('http://127.0.0.1:19100');
  });
});
