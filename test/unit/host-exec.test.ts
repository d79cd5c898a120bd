// The one command runner (src/activities/host/exec.ts): a time limit and a cancel stop the program's
// whole process group (a shell script's children too), and the run-it-by-hand line is quoted for a
// POSIX shell with secrets redacted.
import { describe, expect, it } from 'vitest';
import { byHand, commandLine, execute } from '../../src/activities/host/exec.js';

describe('host command runner', () => {
  it('a timeout stops the children of a shell script too, not only the shell', async () => {
    const started = Date.now();
    // The background sleep keeps stdout open: killing only the shell would leave the run waiting 30 s.
    const r = await execute({ argv: ['sh', '-c', 'sleep 30 & sleep 30; wait'], timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a cancel stops the whole process group and says so', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by Temporal')), 100);
    const started = Date.now();
    const r = await execute({
      argv: ['sh', '-c', 'sleep 30 & sleep 30; wait'],
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    expect(r.cancelled).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('keeps what a program printed and its exit code; a missing program is a spawn error', async () => {
    const r = await execute({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeoutMs: 10_000 });
    expect(r).toMatchObject({
      stdout: 'out',
      stderr: 'err',
      exitCode: 3,
      timedOut: false,
      cancelled: false,
      spawnError: undefined,
    });
    const missing = await execute({ argv: ['/nonexistent/program'], timeoutMs: 10_000 });
    expect(missing.exitCode).toBeUndefined();
    expect(missing.spawnError?.code).toBe('ENOENT');
  });

  it('quotes the run-it-by-hand line for a POSIX shell and redacts secrets in it', () => {
    expect(commandLine(['echo', "it's", 'a b', '--to=2026.9.6'])).toBe(`echo 'it'\\''s' 'a b' --to=2026.9.6`);
    expect(byHand(['openclaw', 'devices', 'list', '--token', 'abc123secret456'])).toBe(
      'openclaw devices list --token <redacted>',
    );
  });
});
