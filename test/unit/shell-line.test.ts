/** The command lines the workflows' hints print ("start it by hand: …") paste into a shell as they run. */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { commandLine } from '../../src/shared/shell-line.js';

describe('commandLine', () => {
  it('leaves plain words bare and quotes what a shell would split or expand', async () => {
    const argv = ['sh', '-c', 'if [ -e "$0" ]; then echo "it\'s there"; fi; echo ran "$@"', '/nonexistent', 'a b'];
    const line = commandLine(argv);
    expect(line).toBe(`sh -c 'if [ -e "$0" ]; then echo "it'\\''s there"; fi; echo ran "$@"' /nonexistent 'a b'`);
    expect(commandLine(['supervisorctl', 'start', 'gw-1'])).toBe('supervisorctl start gw-1');
    // Pasted into a shell, the line runs the same argv.
    expect((await execa('sh', ['-c', line])).stdout).toBe('ran a b');
  });
});
