// Parser tests on replies captured from a real HAProxy 2.6 (test/fixtures/haproxy/*.txt): a `mode tcp`
// backend `gateways` (gw1..gw3, `balance source`, TCP checks) plus an HTTP-checked backend `web` whose
// server answers `503 Down, "for" maintenance`, so that HAProxy quotes a CSV field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseServersState,
  parseSetServerReply,
  parseShowStat,
  truncateForMessage,
} from '../../src/activities/load-balancer/haproxy-stat.js';
import { ConfigurationError, UnexpectedOutputError } from '../../src/shared/errors.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/haproxy/${name}`, import.meta.url), 'utf8');

describe('parseShowStat', () => {
  it('returns the server rows of a healthy backend with one live session', () => {
    const rows = parseShowStat(fixture('show-stat-up.txt'));
    expect(rows.map((r) => `${r.backend}/${r.server}`)).toEqual([
      'gateways/gw1',
      'gateways/gw2',
      'gateways/gw3',
      'web/web1',
    ]);
    const gw3 = rows.find((r) => r.server === 'gw3');
    expect(gw3).toMatchObject({ status: 'UP', currentSessions: 1, totalSessions: 1, weight: 1, checkStatus: 'L4OK' });
    expect(gw3?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(rows.find((r) => r.server === 'gw1')).toMatchObject({ status: 'UP', currentSessions: 0 });
  });

  it('leaves out FRONTEND and BACKEND rows', () => {
    const rows = parseShowStat(fixture('show-stat-up.txt'));
    expect(rows.some((r) => r.server === 'FRONTEND' || r.server === 'BACKEND')).toBe(false);
    expect(rows.some((r) => r.backend === 'fe')).toBe(false);
  });

  it('reads a quoted field with a comma and doubled quotes without shifting the columns after it', () => {
    const web1 = parseShowStat(fixture('show-stat-up.txt')).find((r) => r.server === 'web1');
    // check_desc and addr come after the quoted last_chk field `"Down, ""for"" maintenance"`.
    expect(fixture('show-stat-up.txt')).toContain('"Down, ""for"" maintenance"');
    expect(web1).toMatchObject({ status: 'DOWN', checkStatus: 'L7STS', currentSessions: 0 });
    expect(web1?.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('shows DRAIN, MAINT, and DOWN for a drained server whose check fails', () => {
    const rows = parseShowStat(fixture('show-stat-drain-maint-down.txt'));
    const status = Object.fromEntries(rows.map((r) => [r.server, r.status]));
    expect(status).toEqual({ gw1: 'DRAIN', gw2: 'MAINT', gw3: 'DOWN', web1: 'DOWN' });
    // HAProxy 2.6 keeps the configured weight in the weight column while a server drains.
    expect(rows.find((r) => r.server === 'gw1')?.weight).toBe(1);
    expect(rows.find((r) => r.server === 'gw3')?.checkStatus).toBe('L4CON');
  });

  it('throws UnexpectedOutputError quoting the reply when it is not the stat CSV', () => {
    const reply = fixture('unknown-command.txt');
    const error = catchError(() => parseShowStat(reply));
    expect(error).toBeInstanceOf(UnexpectedOutputError);
    expect((error as UnexpectedOutputError).command).toBe('show stat');
    expect((error as UnexpectedOutputError).seen).toContain('Unknown command');
  });

  it.each([
    ['empty output', ''],
    ['garbage', 'hello world\n'],
    ['a header without the needed columns', '# pxname,svname,qcur\ngateways,gw1,0\n'],
    ['a row cut short', fixture('show-stat-up.txt').split('\n').slice(0, 3).join('\n').slice(0, -40)],
    ['a non-numeric scur', fixture('show-stat-up.txt').replace(/^(gateways,gw1,\d+,\d+,)\d+/m, '$1x')],
  ])('throws UnexpectedOutputError for %s', (_, reply) => {
    expect(() => parseShowStat(reply)).toThrow(UnexpectedOutputError);
  });

  it('truncates a huge unreadable reply to about 2 KB in the error', () => {
    const error = catchError(() => parseShowStat('x'.repeat(100_000))) as UnexpectedOutputError;
    expect(error).toBeInstanceOf(UnexpectedOutputError);
    expect(error.seen.length).toBeLessThan(2_200);
    expect(error.seen).toContain('97952 more characters not shown');
  });
});

describe('parseSetServerReply', () => {
  it('accepts the lone newline HAProxy sends on success', () => {
    expect(fixture('set-server-ok.txt')).toBe('\n');
    expect(() => parseSetServerReply(fixture('set-server-ok.txt'), 'gateways', 'gw1', 'drain')).not.toThrow();
    expect(() => parseSetServerReply('', 'gateways', 'gw1', 'ready')).not.toThrow();
  });

  it('turns "No such server." into a ConfigurationError naming backend, server and the fix', () => {
    const error = catchError(() =>
      parseSetServerReply(fixture('set-server-no-such-server.txt'), 'gateways', 'gw9', 'drain'),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/no server "gw9" in backend "gateways"/);
    expect((error as Error).message).toContain('Fix:');
  });

  it('turns "No such backend." into a ConfigurationError naming the backend and the fix', () => {
    const error = catchError(() =>
      parseSetServerReply(fixture('set-server-no-such-backend.txt'), 'nope', 'gw1', 'drain'),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/no backend "nope"/);
    expect((error as Error).message).toContain('Fix:');
  });

  it('turns "Permission denied" (a socket below level admin) into a ConfigurationError', () => {
    const error = catchError(() =>
      parseSetServerReply(fixture('set-server-permission-denied.txt'), 'gateways', 'gw1', 'drain'),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('level admin');
  });

  it('throws UnexpectedOutputError quoting any other reply', () => {
    const error = catchError(() =>
      parseSetServerReply(fixture('set-server-bad-state.txt'), 'gateways', 'gw1', 'drain'),
    );
    expect(error).toBeInstanceOf(UnexpectedOutputError);
    expect((error as UnexpectedOutputError).seen).toContain("expects 'ready', 'drain' and 'maint'");
  });
});

describe('parseServersState', () => {
  it('reads the admin state, which stays "drain" for a drained server that is DOWN', () => {
    const rows = parseServersState(fixture('show-servers-state.txt'), 'gateways');
    expect(rows.map((r) => [r.server, r.admin, r.adminBits, r.operationalState])).toEqual([
      ['gw1', 'drain', 8, 2],
      ['gw2', 'maint', 1, 0],
      ['gw3', 'drain', 8, 0],
    ]);
  });

  it('turns "Can\'t find backend." into a ConfigurationError', () => {
    expect(() => parseServersState(fixture('show-servers-state-no-backend.txt'), 'nope')).toThrow(ConfigurationError);
  });

  it('throws UnexpectedOutputError for other output', () => {
    expect(() => parseServersState(fixture('show-stat-up.txt'), 'gateways')).toThrow(UnexpectedOutputError);
    expect(() => parseServersState('1\n# be_id be_name\n3 gateways\n', 'gateways')).toThrow(UnexpectedOutputError);
  });
});

describe('truncateForMessage', () => {
  it('keeps short text and cuts long text', () => {
    expect(truncateForMessage('short')).toBe('short');
    expect(truncateForMessage('abcdef', 3)).toBe('abc\n... (3 more characters not shown)');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
