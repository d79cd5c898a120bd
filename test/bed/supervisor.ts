/**
 * Debian's `supervisor` as the bed's process manager, as on a host without systemd: one supervisord per
 * bed runs the Temporal dev server, HAProxy, the gateways and the node-host clients. Stopping the bed
 * is `supervisorctl shutdown`, which stops every child: nothing is left behind.
 */
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnvironment } from '../../src/activities/host/child-env.js';

export interface Program {
  name: string;
  command: string[];
  directory: string;
  environment: Record<string, string>;
  logFile: string;
  /** Seconds the program must stay up to count as started (supervisor's startsecs). */
  startSecs?: number;
  stopSignal?: 'TERM' | 'INT' | 'KILL';
  autostart?: boolean;
  /** Run as this user (supervisord runs as root): PostgreSQL refuses to run as root. */
  user?: string;
}

const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
// supervisor expands %(...)s in values: escape literal percent signs.
const esc = (s: string) => s.replace(/%/g, '%%');

export class Supervisor {
  readonly confPath: string;
  readonly socketPath: string;
  constructor(readonly dir: string) {
    this.confPath = join(dir, 'supervisord.conf');
    this.socketPath = join(dir, 'supervisor.sock');
  }

  /** supervisorctl argv for this bed (also what the inventory's restart commands use). */
  ctlArgv(...args: string[]): string[] {
    return ['supervisorctl', '-c', this.confPath, ...args];
  }

  async writeConfig(programs: Program[]): Promise<void> {
    const lines = [
      '[unix_http_server]',
      `file=${this.socketPath}`,
      'chmod=0700',
      '[supervisord]',
      `logfile=${join(this.dir, 'supervisord.log')}`,
      `pidfile=${join(this.dir, 'supervisord.pid')}`,
      `directory=${this.dir}`,
      'nodaemon=false',
      'minfds=4096',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${this.socketPath}`,
    ];
    for (const p of programs) lines.push(...programSection(p));
    await writeFile(this.confPath, lines.join('\n') + '\n');
  }

  /**
   * Adds one program to the running supervisord: appends its section to the config, then
   * `supervisorctl reread` + `add` (which starts it unless autostart is false).
   */
  async addProgram(p: Program): Promise<void> {
    const conf = await readFile(this.confPath, 'utf8');
    if (conf.includes(`[program:${p.name}]`))
      throw new Error(`supervisor: program ${p.name} is already configured in ${this.confPath}`);
    await writeFile(this.confPath, conf + programSection(p).join('\n') + '\n');
    await this.ctl('reread');
    await this.ctl('add', p.name);
  }

  /** Stops and removes one program added by addProgram, and takes its section out of the config. Idempotent. */
  async removeProgram(name: string): Promise<void> {
    await this.ctl('stop', name).catch(() => undefined);
    await this.ctl('remove', name).catch(() => undefined);
    const conf = await readFile(this.confPath, 'utf8');
    const kept = conf.split(/(?=^\[)/m).filter((section) => !section.startsWith(`[program:${name}]`));
    await writeFile(this.confPath, kept.join(''));
    await this.ctl('reread');
  }

  async start(): Promise<void> {
    // Programs inherit supervisord's environment: keep test-runner markers (VITEST...) out of it.
    await execa('supervisord', ['-c', this.confPath], { env: childEnvironment(), extendEnv: false });
  }

  async ctl(...args: string[]): Promise<string> {
    const r = await execa(this.ctlArgv()[0]!, this.ctlArgv(...args).slice(1), { reject: false, timeout: 120_000 });
    if (r.exitCode !== 0 && !(args[0] === 'status' && r.exitCode === 3)) {
      throw new Error(`supervisorctl ${args.join(' ')} exited ${r.exitCode}: ${r.stdout} ${r.stderr}`);
    }
    return r.stdout;
  }

  /** Stops every program and supervisord itself; ignores a supervisord that is already gone. */
  async shutdown(): Promise<void> {
    await execa(this.ctlArgv()[0]!, this.ctlArgv('shutdown').slice(1), { reject: false, timeout: 120_000 });
  }
}

/** One `[program:x]` section of supervisord.conf. */
function programSection(p: Program): string[] {
  const env = Object.entries(p.environment)
    .map(([k, v]) => `${k}=${q(esc(v))}`)
    .join(',');
  return [
    `[program:${p.name}]`,
    `command=${esc(p.command.map(q).join(' '))}`,
    `directory=${p.directory}`,
    `environment=${env}`,
    ...(p.user ? [`user=${p.user}`] : []),
    `autostart=${p.autostart === false ? 'false' : 'true'}`,
    'autorestart=true',
    `startsecs=${p.startSecs ?? 2}`,
    'startretries=5',
    `stopsignal=${p.stopSignal ?? 'TERM'}`,
    'stopwaitsecs=20',
    'stopasgroup=true',
    'killasgroup=true',
    'redirect_stderr=true',
    `stdout_logfile=${p.logFile}`,
    'stdout_logfile_maxbytes=0',
  ];
}
