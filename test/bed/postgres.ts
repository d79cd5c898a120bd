/**
 * The production bed's PostgreSQL (Debian's `postgresql` binaries, not its system cluster): its own data
 * directory in the bed and a free loopback port, run by the bed's supervisord as the `postgres` user
 * (PostgreSQL refuses root). One role, `temporal`, with a random password (scram-sha-256 over TCP):
 * the password lives in a 0600 file in the bed, never on a command line.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Program } from './supervisor.js';
import { postgresBinDir } from './tools.js';

export interface BedPostgres {
  port: number;
  user: string;
  passwordFile: string;
  dataDir: string;
  program: Program;
}

const POSTGRES_USER = 'postgres';

async function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all(['-u', '-g'].map(async (f) => Number((await execa('id', [f, name])).stdout)));
  return { uid: uid!, gid: gid! };
}

/** initdb into <dir>/postgres/data and the supervisor program that serves it on `port`. */
export async function initPostgres(dir: string, port: number): Promise<BedPostgres> {
  const bin = postgresBinDir();
  const root = join(dir, 'postgres');
  const dataDir = join(root, 'data');
  const { uid, gid } = await osUser(POSTGRES_USER);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await chown(root, uid, gid);
  const password = randomBytes(18).toString('hex');
  const passwordFile = join(dir, 'postgres-password');
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  // initdb reads the password from a file the postgres user can read; removed right after.
  const initPw = join(root, 'initdb-pw');
  await writeFile(initPw, password + '\n', { mode: 0o600 });
  await chown(initPw, uid, gid);
  await execa('runuser', [
    '-u',
    POSTGRES_USER,
    '--',
    join(bin, 'initdb'),
    '-D',
    dataDir,
    '-U',
    'temporal',
    `--pwfile=${initPw}`,
    '--auth-local=peer',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-instructions',
  ]);
  await execa('rm', ['-f', initPw]);
  return {
    port,
    user: 'temporal',
    passwordFile,
    dataDir,
    program: {
      name: 'postgresql',
      command: [
        join(bin, 'postgres'),
        '-D',
        dataDir,
        '-p',
        String(port),
        '-h',
        '127.0.0.1',
        '-k',
        root,
        '-c',
        'max_connections=200',
      ],
      directory: root,
      environment: { LC_ALL: 'C.UTF-8' },
      logFile: join(dir, 'postgresql.log'),
      user: POSTGRES_USER,
      // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, the data is consistent.
      stopSignal: 'INT',
      startSecs: 2,
    },
  };
}

/** True when the server accepts connections (pg_isready). */
export async function postgresReady(pg: BedPostgres): Promise<boolean> {
  const r = await execa(join(postgresBinDir(), 'pg_isready'), ['-h', '127.0.0.1', '-p', String(pg.port)], {
    reject: false,
  });
  return r.exitCode === 0;
}
