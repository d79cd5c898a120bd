/**
 * Reads ansible-playbook's PLAY RECAP (the one place its output is parsed; captured runs in
 * test/fixtures/ansible): per host, the counts of ok, changed, unreachable, failed, skipped, rescued and
 * ignored tasks.
 */
export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

const LINE = /^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/;

export function parseRecap(stdout: string): HostRecap[] {
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return [];
  return stdout
    .slice(at)
    .split('\n')
    .slice(1)
    .map((l) => LINE.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const counts = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]));
      const n = (k: string) => counts[k] ?? 0;
      return {
        host: m[1]!,
        ok: n('ok'),
        changed: n('changed'),
        unreachable: n('unreachable'),
        failed: n('failed'),
        skipped: n('skipped'),
        rescued: n('rescued'),
        ignored: n('ignored'),
      };
    });
}
