/**
 * The operator CLI without a server: every command's --help, and bad input refused with a usage error
 * that names the option and the fix, before anything connects or changes.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { COMMANDS, exitCode } from '../../src/cli/main.js';
import { isProcessCommand, type Command } from '../../src/cli/command.js';
import { run, UsageError } from '../../src/starter.js';

const INVENTORY = 'examples/cluster.example.yaml';
const INVENTORY_COMMANDS = COMMANDS.filter((c): c is Command => !isProcessCommand(c));

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await run(argv, (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

describe('help', () => {
  it('lists every command of the table', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    for (const c of COMMANDS) expect(out).toContain(`\n  ${c.name} `);
  });

  it.each(INVENTORY_COMMANDS.map((c) => c.name))(
    '%s --help explains the command and its options, with no inventory needed',
    async (name) => {
      const command = INVENTORY_COMMANDS.find((c) => c.name === name)!;
      const { code, out } = await cli(name, '--help');
      expect(code).toBe(0);
      expect(out).toContain(`openclaw-rollout ${name} --inventory`);
      expect(out).toContain(command.help);
      for (const option of command.options) expect(out).toContain(`--${option}`);
    },
  );

  it('worker and codec-server are rows of the table with their own --help, before or after the name', async () => {
    const worker = await cli('worker', '--help');
    expect(worker.code).toBe(0);
    expect(worker.out).toContain('Usage: openclaw-rollout worker --inventory <cluster.yaml> [--host <host>]');
    expect((await cli('--help', 'worker')).out).toBe(worker.out);
    const codec = await cli('codec-server', '--help');
    expect(codec.code).toBe(0);
    expect(codec.out).toContain('Usage: openclaw-rollout codec-server [--port 8081]');
  });

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, out: version });
  });

  it('no command: the overall help, exit 2', async () => {
    expect((await cli()).code).toBe(2);
  });
});

describe('bad input is a usage error (exit 2) naming the option', () => {
  const refused = (argv: string[]) => run(argv, () => undefined);

  it('an unknown command or option', async () => {
    await expect(refused(['bogus'])).rejects.toThrow('unknown command "bogus" (see --help)');
    await expect(refused(['start', '--bogus'])).rejects.toThrow('unknown option --bogus');
  });

  it('an option the command does not take, with the ones it does', async () => {
    await expect(refused(['approve', '--inventory', INVENTORY, '--target', '1'])).rejects.toThrow(
      'approve: --target is not an option of approve (it takes --instance, --batch, --rest, --withdraw, --approver, --comment; see openclaw-rollout approve --help)',
    );
  });

  it("a process command's unknown option, missing inventory or bad port, before anything starts", async () => {
    await expect(refused(['worker', '--target', '1'])).rejects.toThrow(
      'worker: unknown option --target (see openclaw-rollout worker --help)',
    );
    await expect(refused(['worker'])).rejects.toThrow('worker: --inventory <cluster.yaml> is required');
    await expect(refused(['codec-server', '--port', 'http'])).rejects.toThrow(
      'codec-server: --port must be a port number (0-65535), not "http"',
    );
    await expect(refused(['--json', 'worker'])).rejects.toThrow('worker takes its options after its name');
  });

  it('a missing inventory', async () => {
    await expect(refused(['status'])).rejects.toThrow('status: --inventory <cluster.yaml> is required');
  });

  it('an unknown instance, decision or version, and an abort without a reason', async () => {
    await expect(
      refused(['approve', '--inventory', INVENTORY, '--instance', 'gw-9', '--approver', 'alice']),
    ).rejects.toThrow('approve: unknown instance "gw-9" (this inventory has gw-1)');
    await expect(
      refused(['decide', '--inventory', INVENTORY, '--instance', 'gw-1', '--decision', 'maybe', '--by', 'alice']),
    ).rejects.toThrow(/^decide: --decision:/);
    await expect(refused(['start', '--inventory', INVENTORY, '--target', '../x'])).rejects.toThrow(
      'start: --target "../x" is not a version',
    );
    await expect(refused(['abort', '--inventory', INVENTORY])).rejects.toThrow('abort: say why with --reason <text>');
  });

  it('a device command with an unknown device or the wrong role', async () => {
    await expect(refused(['repair', '--inventory', INVENTORY, '--instance', 'gw-1'])).rejects.toThrow(
      'repair: --device <deviceId> is required',
    );
    await expect(
      refused(['repair', '--inventory', INVENTORY, '--instance', 'gw-1', '--device', 'nope']),
    ).rejects.toThrow('repair: --device: gw-1 lists no device "nope" in the inventory');
    await expect(refused(['diagnose', '--inventory', INVENTORY, '--device', 'x'])).rejects.toThrow(
      'diagnose: --device "x" is not a device id',
    );
  });

  it('maps usage errors to exit 2 and other failures to 1', () => {
    expect(exitCode(new UsageError('x'))).toBe(2);
    expect(exitCode(new Error('x'))).toBe(1);
  });
});

describe('validate', () => {
  it('prints what the inventory describes', async () => {
    const { code, out } = await cli('validate', '--inventory', INVENTORY);
    expect(code).toBe(0);
    expect(out).toMatch(/^inventory ok: cluster prod-eu, 1 instances/);
  });
});
