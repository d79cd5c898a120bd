/**
 * Pure parsers for HAProxy runtime API replies (checked against HAProxy 2.6): `show stat` CSV,
 * `show servers state <backend>` and the reply to `set server <be>/<srv> state ...`.
 * No I/O here; `haproxy.ts` does the talking.
 */
import { ConfigurationError, UnexpectedOutputError } from '../../shared/errors.js';

/** The admin states `set server <be>/<srv> state` accepts. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** One server row of `show stat`. Optional fields are absent when HAProxy leaves the column empty. */
export interface StatRow {
  /** Backend (proxy) name: the `pxname` column. */
  backend: string;
  /** Server name: the `svname` column. */
  server: string;
  /**
   * Operational status as HAProxy prints it: `UP`, `DOWN`, `DRAIN`, `MAINT`, `NOLB`, `no check`, or a
   * transition such as `UP 1/3`, `DRAIN 1/3`, `MAINT (via be/srv)`. A drained server whose health check
   * fails shows `DOWN`, not `DRAIN`: use `show servers state` for the admin state.
   */
  status: string;
  /** Open sessions on this server right now: the `scur` column. */
  currentSessions: number;
  /** Effective weight (`weight`). HAProxy 2.6 keeps the configured weight here while draining. */
  weight?: number;
  /** Total sessions since start (`stot`). */
  totalSessions?: number;
  /** Seconds since the last UP/DOWN transition (`lastchg`). */
  lastChangeSeconds?: number;
  /** Last health check result code, e.g. `L4OK`, `L4CON`, `L7STS` (`check_status`). */
  checkStatus?: string;
  /** Server address `ip:port` (`addr`). */
  address?: string;
}

/** One line of `show servers state <backend>`: the admin state that `show stat` cannot always show. */
export interface ServersStateRow {
  backend: string;
  server: string;
  /** `ready`, `drain` or `maint`, from the `srv_admin_state` bit field. */
  admin: ServerAdminState;
  /** Raw `srv_admin_state` bits (0x01 forced maint, 0x08 forced drain, ...). */
  adminBits: number;
  /** `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping. */
  operationalState: number;
}

/** Longest quote of unreadable output put into an error message. */
export const MAX_QUOTED_OUTPUT = 2048;

/** Cuts `text` to about `max` characters for an error message, saying how much was left out. */
export function truncateForMessage(text: string, max = MAX_QUOTED_OUTPUT): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n... (${text.length - max} more characters not shown)`;
}

/** Splits CSV text into records. Handles HAProxy's quoting (`"a, ""b"""`), also across line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

const unexpected = (command: string, expected: string, seen: string): UnexpectedOutputError =>
  new UnexpectedOutputError(command, expected, truncateForMessage(seen === '' ? '(nothing)' : seen));

/** Parses an integer column; empty means "not reported" (undefined). */
function intField(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

/**
 * Parses the reply to `show stat` into its server rows (frontend, backend-total and listener rows are
 * left out). Throws UnexpectedOutputError, quoting the reply, if it is not HAProxy's stat CSV.
 */
export function parseShowStat(output: string, command = 'show stat'): StatRow[] {
  const expected = 'the CSV of `show stat` (a header line starting with "# pxname,svname,")';
  const trimmed = output.trimStart();
  if (!trimmed.startsWith('# pxname,svname,')) throw unexpected(command, expected, output);
  const [header, ...records] = parseCsv(trimmed.slice(2));
  const columnCount = header?.length ?? 0;
  const columns = new Map((header ?? []).map((name, i) => [name, i] as const));
  for (const needed of ['pxname', 'svname', 'status', 'scur']) {
    if (!columns.has(needed)) throw unexpected(command, `${expected} with a "${needed}" column`, output);
  }
  const col = (record: string[], name: string): string | undefined => {
    const i = columns.get(name);
    return i === undefined ? undefined : record[i];
  };
  const rows: StatRow[] = [];
  for (const record of records) {
    if (record.length !== columnCount) {
      throw unexpected(command, `${expected}; a row has ${record.length} of ${columnCount} columns`, output);
    }
    const type = col(record, 'type');
    const server = col(record, 'svname') ?? '';
    // type: 0 frontend, 1 backend, 2 server, 3 listener. Fall back to the names if the column is absent.
    const isServer = type !== undefined && type !== '' ? type === '2' : server !== 'FRONTEND' && server !== 'BACKEND';
    if (!isServer) continue;
    const currentSessions = intField(col(record, 'scur'));
    const weight = intField(col(record, 'weight'));
    const totalSessions = intField(col(record, 'stot'));
    const lastChangeSeconds = intField(col(record, 'lastchg'));
    for (const [name, value] of Object.entries({
      scur: currentSessions,
      weight,
      stot: totalSessions,
      lastchg: lastChangeSeconds,
    })) {
      if (Number.isNaN(value))
        throw unexpected(command, `${expected}; "${name}" of ${server} is not an integer`, output);
    }
    if (currentSessions === undefined) throw unexpected(command, `${expected}; "scur" of ${server} is empty`, output);
    const row: StatRow = {
      backend: col(record, 'pxname') ?? '',
      server,
      status: col(record, 'status') ?? '',
      currentSessions,
    };
    if (weight !== undefined) row.weight = weight;
    if (totalSessions !== undefined) row.totalSessions = totalSessions;
    if (lastChangeSeconds !== undefined) row.lastChangeSeconds = lastChangeSeconds;
    const checkStatus = col(record, 'check_status');
    if (checkStatus) row.checkStatus = checkStatus;
    const address = col(record, 'addr');
    if (address) row.address = address;
    rows.push(row);
  }
  return rows;
}

/** The fix to suggest when the runtime API refuses a command because the socket is not `level admin`. */
const PERMISSION_FIX =
  'the stats socket is not at admin level: in haproxy.cfg use `stats socket <path> mode 600 level admin` ' +
  '(or `level admin` on the TCP one), reload HAProxy, and point the inventory at that socket';

/**
 * Checks the reply to `set server <backend>/<server> state <state>`. HAProxy 2.6 answers a lone newline
 * on success (also when the server already is in that state). Throws ConfigurationError for
 * `No such server.`, `No such backend.` and `Permission denied`, UnexpectedOutputError for anything else.
 */
export function parseSetServerReply(reply: string, backend: string, server: string, state: ServerAdminState): void {
  const command = `set server ${backend}/${server} state ${state}`;
  const text = reply.trim();
  if (text === '') return;
  if (text === 'No such server.') {
    throw new ConfigurationError(
      `HAProxy has no server "${server}" in backend "${backend}" (\`${command}\` answered "No such server."). ` +
        `Fix: make the inventory's HAProxy server name match a \`server ${server} ...\` line of backend "${backend}" in haproxy.cfg.`,
    );
  }
  if (text === 'No such backend.') {
    throw new ConfigurationError(
      `HAProxy has no backend "${backend}" (\`${command}\` answered "No such backend."). ` +
        `Fix: set the inventory's HAProxy backend to the name of the \`backend\` section that holds the gateways.`,
    );
  }
  if (text === 'Permission denied') {
    throw new ConfigurationError(`HAProxy refused \`${command}\` with "Permission denied": ${PERMISSION_FIX}.`);
  }
  throw unexpected(command, 'an empty reply (success) or a known error', reply);
}

/** HAProxy 2.6 `srv_admin_state` bits (src/server-t.h). */
const ADMIN_MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40; // forced, inherited, config, resolution, hostname maint
const ADMIN_DRAIN_BITS = 0x08 | 0x10; // forced, inherited drain

/**
 * Parses the reply to `show servers state <backend>` (format version 1). Throws ConfigurationError if
 * HAProxy says `Can't find backend.`, UnexpectedOutputError for anything else it cannot read.
 */
export function parseServersState(output: string, backend: string): ServersStateRow[] {
  const command = `show servers state ${backend}`;
  const expected = 'format version "1", then a "# be_id be_name srv_id srv_name ..." header and one line per server';
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines[0] === "Can't find backend.") {
    throw new ConfigurationError(
      `HAProxy has no backend "${backend}" (\`${command}\` answered "Can't find backend."). ` +
        `Fix: set the inventory's HAProxy backend to the name of the \`backend\` section that holds the gateways.`,
    );
  }
  if (lines[0] === 'Permission denied')
    throw new ConfigurationError(`HAProxy refused \`${command}\`: ${PERMISSION_FIX}.`);
  const header = lines[1]?.startsWith('# ') ? lines[1].slice(2).split(/\s+/) : undefined;
  if (lines[0] !== '1' || !header) throw unexpected(command, expected, output);
  const at = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw unexpected(command, `${expected} with a "${name}" column`, output);
    return i;
  };
  const [beName, srvName, opState, adminState] = ['be_name', 'srv_name', 'srv_op_state', 'srv_admin_state'].map(at) as [
    number,
    number,
    number,
    number,
  ];
  return lines.slice(2).map((line) => {
    const fields = line.split(/\s+/);
    const adminBits = Number(fields[adminState]);
    const operationalState = Number(fields[opState]);
    if (fields.length < header.length || !Number.isInteger(adminBits) || !Number.isInteger(operationalState)) {
      throw unexpected(command, expected, output);
    }
    const admin: ServerAdminState =
      adminBits & ADMIN_MAINT_BITS ? 'maint' : adminBits & ADMIN_DRAIN_BITS ? 'drain' : 'ready';
    return { backend: fields[beName] ?? '', server: fields[srvName] ?? '', admin, adminBits, operationalState };
  });
}

/**
 * The backend-total row of `show stat` for `backend`: its balance algorithm (`algo`, e.g. `roundrobin`,
 * `leastconn`, `source`, `hdr`) and cookie name (`cookie`, set when cookie persistence is on), or
 * undefined when there is no such backend.
 */
export function parseBackendBalance(output: string, backend: string): { algo: string; cookie: string } | undefined {
  const trimmed = output.trimStart();
  if (!trimmed.startsWith('# pxname,svname,'))
    throw unexpected('show stat', 'the CSV of `show stat` (a header line starting with "# pxname,svname,")', output);
  const [header, ...records] = parseCsv(trimmed.slice(2));
  const col = new Map((header ?? []).map((name, i) => [name, i] as const));
  const row = records.find((r) => r[col.get('pxname') ?? 0] === backend && r[col.get('svname') ?? 1] === 'BACKEND');
  if (!row) return undefined;
  return { algo: row[col.get('algo') ?? -1] ?? '', cookie: row[col.get('cookie') ?? -1] ?? '' };
}
