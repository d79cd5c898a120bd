// Fuzz-style robustness test of the openclaw output parsers: ~300 generated inputs per parser, from a
// fixed PRNG seed (reproducible), built from random bytes and from the real captures in
// test/fixtures/openclaw (cut short, characters flipped, fields deleted or given the wrong type, odd
// top-level JSON values, huge strings, deep nesting). Every parser must either return a value or throw
// one of the typed errors (UnexpectedOutputError, ConfigurationError, TransientError): never a
// TypeError, SyntaxError or RangeError. A second part plants secrets in the inputs and checks that no
// typed error message repeats them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countMismatches,
  parseChannelsStatus,
  parseDevicesApprove,
  parseDevicesList,
  parseBackupCreate,
  parseBackupManifest,
  parseBackupRestore,
  parseDatabasePreflight,
  parseDevicesRevoke,
  parseDevicesRotate,
  parseDoctor,
  parseGatewayStatus,
  parseLogs,
  parseRestart,
  parseUpdate,
  type Captured,
} from '../../src/activities/openclaw/parse/index.js';
import { ConfigurationError, TransientError, UnexpectedOutputError } from '../../src/shared/errors.js';

const SEED = 0x0c1a_2026;
const CASES_PER_PARSER = 300;
const SECRET_CASES_PER_PARSER = 80;

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/openclaw/${name}`, import.meta.url), 'utf8');

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32: a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }
  string(length: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(alphabet.length)]!;
    return s;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';
const NASTY = '{}[]":,\\\n\t \u0000\u2028\ufffd\ud800é€0123456789-+.eE';

/**
 * A 43-char base64url token (32 random bytes, as the gateway issues). Forced to hold a digit and a
 * letter: redact() leaves digit-free runs alone (so that long words stay readable), see the report.
 */
function base64urlToken(rng: Rng): string {
  for (;;) {
    const t = rng.string(43, B64URL);
    if (/[0-9]/.test(t) && /[A-Za-z]/.test(t)) return t;
  }
}
function hexToken(rng: Rng): string {
  for (;;) {
    const t = rng.string(48, HEX);
    if (/[a-f]/.test(t) && /[0-9]/.test(t)) return t;
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON mutation

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

function allPaths(value: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => allPaths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) allPaths(v, [...at, k], out);
  return out;
}

function containerAt(root: Json, path: Path): Json {
  let node = root;
  for (const key of path) node = (node as Record<string | number, Json>)[key]!;
  return node;
}

function deepNested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
/** Stands for a deeply nested value in a document (the mutation helpers here would overflow on the real thing). */
const DEEP = '\u0000deep\u0000';

function wrongValue(rng: Rng): Json {
  switch (rng.int(14)) {
    case 0:
      return null;
    case 1:
      return 0;
    case 2:
      return -1.5e308;
    case 3:
      return '';
    case 4:
      return 'not-what-you-expect';
    case 5:
      return true;
    case 6:
      return [];
    case 7:
      return {};
    case 8:
      return [null, 1, 'x', {}];
    case 9:
      return { type: 'error', message: null };
    case 10:
      return 'x'.repeat(200_000);
    case 11:
      return rng.string(rng.int(64), NASTY);
    case 12:
      return DEEP; // replaced by 20 000 nested arrays when serialized
    default:
      return Number.NaN; // serialized as null
  }
}

/** Deletes a field, replaces a value with one of the wrong type, or renames a key, somewhere in `root`. */
function mutateJson(root: Json, rng: Rng, rounds = 1 + rng.int(3)): Json {
  let doc = structuredClone(root);
  for (let r = 0; r < rounds; r++) {
    const paths = allPaths(doc);
    const path = rng.pick(paths);
    if (path.length === 0) {
      doc = rng.bool(0.5) ? wrongValue(rng) : [doc];
      continue;
    }
    const parent = containerAt(doc, path.slice(0, -1)) as Record<string | number, Json>;
    const key = path[path.length - 1]!;
    const action = rng.int(4);
    if (action === 0) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (action === 1 && !Array.isArray(parent)) {
      parent[`${String(key)}${rng.pick(['_', 'X', ''])}${rng.int(10)}`] = parent[key]!;
      delete parent[key];
    } else {
      parent[key] = wrongValue(rng);
    }
  }
  return doc;
}

function serialize(
  value: Json,
  rng: Rng,
  indent: string | number | undefined = rng.pick([undefined, 2, '\t']),
): string {
  return JSON.stringify(value, null, indent).replaceAll(JSON.stringify(DEEP), deepNested(20_000));
}

// ---------------------------------------------------------------------------------------------------
// Input generators

interface Subject {
  name: string;
  fixtures: string[];
  /** Stderr the command really prints, mixed into some inputs. */
  stderrs: string[];
  run: (out: Captured, rng: Rng) => unknown;
}

const ALL_FIXTURES = [
  'channels-status.down.json',
  'channels-status.ok.json',
  'devices-approve.json',
  'devices-approve.preview.txt',
  'devices-list.down.json',
  'devices-list.empty.json',
  'devices-list.paired.json',
  'devices-list.pending.json',
  'devices-revoke.json',
  'devices-revoke.unknown-device.json',
  'devices-rotate.json',
  'devices-rotate.unknown-device.json',
  'doctor.warnings.json',
  'gateway-restart.in-process.json',
  'gateway-status.down.json',
  'gateway-status.ok.json',
  'logs.mismatch.ndjson',
  'logs.startup.ndjson',
  'update-status.package.json',
  'update.dry-run.json',
];

const ROTATE_STDERR = fixture('devices-rotate.unknown-device.stderr.txt');
const SUBJECTS: Subject[] = [
  {
    name: 'parseGatewayStatus',
    fixtures: ['gateway-status.ok.json', 'gateway-status.down.json'],
    stderrs: [],
    run: (o) => parseGatewayStatus(o),
  },
  {
    name: 'parseDevicesList',
    fixtures: [
      'devices-list.empty.json',
      'devices-list.pending.json',
      'devices-list.paired.json',
      'devices-list.down.json',
    ],
    stderrs: [],
    run: (o) => parseDevicesList(o),
  },
  {
    name: 'parseDevicesRotate',
    fixtures: ['devices-rotate.json', 'devices-rotate.unknown-device.json'],
    stderrs: [ROTATE_STDERR],
    run: (o) => parseDevicesRotate(o),
  },
  {
    name: 'parseDevicesRevoke',
    fixtures: ['devices-revoke.json', 'devices-revoke.unknown-device.json'],
    stderrs: [ROTATE_STDERR.replace('rotation', 'revocation')],
    run: (o) => parseDevicesRevoke(o),
  },
  {
    name: 'parseDevicesApprove',
    fixtures: ['devices-approve.json', 'devices-approve.preview.txt'],
    stderrs: [fixture('devices-approve.unknown.txt'), fixture('devices-approve.unknown-request.stderr.txt')],
    run: (o, rng) => parseDevicesApprove(o, rng.pick(['0fd1fa01-4a30-45d7-bb64-e2617f9644f6', 'nosuchrequest', ''])),
  },
  {
    name: 'parseChannelsStatus',
    fixtures: ['channels-status.ok.json', 'channels-status.down.json'],
    stderrs: [],
    run: (o) => parseChannelsStatus(o),
  },
  {
    name: 'parseDoctor',
    fixtures: ['doctor.warnings.json', 'doctor.jump-from-2026.8.2.json', 'doctor.state-too-new.json'],
    stderrs: [fixture('doctor.jump-from-2026.8.2.stderr.txt')],
    run: (o) => parseDoctor(o),
  },
  {
    name: 'parseUpdate',
    fixtures: ['update.dry-run.json', 'update-status.package.json'],
    stderrs: [],
    run: (o) => parseUpdate(o),
  },
  { name: 'parseRestart', fixtures: ['gateway-restart.in-process.json'], stderrs: [], run: (o) => parseRestart(o) },
  // Rollback from a backup: the archive's creation, its manifest, its restore, and the database preflight.
  {
    name: 'parseBackupCreate',
    fixtures: ['backup-create.json', 'backup-create.exists.json', 'backup-create.dry-run.json'],
    stderrs: [fixture('backup-create.inside-state.stderr.txt')],
    run: (o, rng) => parseBackupCreate(o, { dryRun: rng.bool(0.3) }),
  },
  {
    name: 'parseBackupManifest',
    fixtures: ['backup-manifest.json'],
    stderrs: [],
    run: (o) => parseBackupManifest(o.stdout),
  },
  {
    name: 'parseBackupRestore',
    fixtures: ['backup-restore.json', 'backup-restore.missing-archive.json', 'backup-restore.non-empty-target.json'],
    stderrs: [],
    run: (o) => parseBackupRestore(o),
  },
  {
    name: 'parseDatabasePreflight',
    fixtures: [
      'database-preflight.exact.json',
      'database-preflight.incompatible.json',
      'database-preflight.migration-required.json',
      'database-preflight.sidecars.json',
      'database-preflight-agent.not-agent.json',
    ],
    stderrs: [],
    run: (o) => parseDatabasePreflight(o),
  },
  {
    name: 'parseLogs + countMismatches',
    fixtures: ['logs.mismatch.ndjson', 'logs.startup.ndjson'],
    stderrs: [fixture('logs.error.stderr.txt')],
    run: (o, rng) => {
      const { records } = parseLogs(o);
      const sinceMs = rng.pick([0, Date.parse('2026-11-24T13:43:45Z'), Number.NaN, -1]);
      const untilMs = rng.pick([undefined, Date.parse('2026-11-24T13:46:51Z'), 0]);
      const mention = rng.pick([undefined, 'cli', 'c5e3b709', '', '"']);
      return countMismatches(records, { sinceMs, untilMs, mention });
    },
  },
];

const isNdjson = (name: string) => name.endsWith('.ndjson');

/** Mutates one real capture as text or as JSON; NDJSON captures are mutated line by line. */
function mutateFixture(text: string, ndjson: boolean, rng: Rng): { kind: string; text: string } {
  const kind = rng.int(6);
  switch (kind) {
    case 0:
      return { kind: 'truncated', text: text.slice(0, rng.int(text.length + 1)) };
    case 1: {
      const chars = [...text];
      const flips = 1 + rng.int(20);
      for (let i = 0; i < flips && chars.length > 0; i++)
        chars[rng.int(chars.length)] = rng.pick([...NASTY, rng.string(1, B64URL)]);
      return { kind: 'flipped', text: chars.join('') };
    }
    case 2: {
      // Delete or duplicate a random slice.
      const a = rng.int(text.length + 1);
      const b = Math.min(text.length, a + rng.int(200));
      return { kind: 'sliced', text: rng.bool() ? text.slice(0, a) + text.slice(b) : text.slice(0, b) + text.slice(a) };
    }
    default: {
      if (ndjson) {
        const lines = text.split('\n');
        const n = 1 + rng.int(4);
        for (let i = 0; i < n; i++) {
          const at = rng.int(lines.length);
          const line = lines[at]!;
          let parsed: Json;
          try {
            parsed = JSON.parse(line) as Json;
          } catch {
            continue;
          }
          lines[at] = serialize(mutateJson(parsed, rng), rng, undefined);
        }
        if (rng.bool(0.2))
          lines.splice(
            rng.int(lines.length),
            0,
            rng.pick(['{"type":"error"', '{"type":"error"}}', '{"type":"error","message":{}}', '[]', 'null', '42']),
          );
        return { kind: 'json-mutated lines', text: lines.join('\n') };
      }
      let parsed: Json;
      try {
        parsed = JSON.parse(text) as Json;
      } catch {
        return { kind: 'truncated', text: text.slice(0, rng.int(text.length + 1)) };
      }
      return { kind: 'json-mutated', text: serialize(mutateJson(parsed, rng), rng) };
    }
  }
}

const TOP_LEVEL = [
  '',
  ' ',
  '[]',
  '[{}]',
  '0',
  '-1',
  '1e999',
  'null',
  'true',
  '"a string"',
  '{}',
  '{"ok":false}',
  '{"ok":false,"error":null}',
  '{"ok":false,"error":"boom"}',
  '{"ok":false,"error":{"type":1,"message":2}}',
  '{"ok":false,"error":{"type":"gateway_transport_error"}}',
  '{"ok":false,"error":{"type":"cli_error","message":"device token rotation denied"}}',
  '{"ok":false,"error":{"type":"gateway_transport_error","message":"Gateway not reachable"}}',
  '{"type":"error"}',
  '{"type":"error","message":null}',
  '{"type":"error","message":{"toString":1,"valueOf":2}}',
  '{"type":"error"',
  '{"type":"meta"}',
  '{"run":null}',
  '{"run":{"status":7}}',
  '{"run":{"status":"failed"}}',
  '{"findings":null,"ok":true}',
  '{"gateway":{},"rpc":{"ok":"yes"}}',
  '{"pending":{},"paired":null}',
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{}}}',
  '\uFEFF{"ok":true}',
];

function generate(subject: Subject, rng: Rng): { kind: string; out: Captured } {
  const stderrChoices = [
    '',
    ...subject.stderrs,
    rng.string(rng.int(300), NASTY),
    'No pending device request matches x.',
  ];
  const stderr = rng.bool(0.6) ? '' : rng.pick(stderrChoices);
  const exitCode = rng.pick([0, 0, 0, 1, 1, 2, 130, -1]);
  const own = rng.bool(0.85);
  const name = own ? rng.pick(subject.fixtures) : rng.pick(ALL_FIXTURES);
  const roll = rng.int(100);
  let kind: string;
  let stdout: string;
  if (roll < 10) {
    const bytes = Buffer.alloc(rng.int(4096));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
    kind = 'random bytes';
    stdout = bytes.toString(rng.bool() ? 'utf8' : 'latin1');
  } else if (roll < 18) {
    kind = 'top-level value';
    stdout = rng.pick(TOP_LEVEL);
    if (rng.bool(0.3)) stdout = `${stdout}\n${rng.pick(TOP_LEVEL)}`;
  } else if (roll < 22) {
    kind = 'huge';
    stdout = rng.pick([
      () => 'x'.repeat(2_000_000),
      () => rng.string(300_000, B64URL),
      () => `{"message":"${'a1'.repeat(500_000)}"}`,
      () => deepNested(50_000),
      () => `${fixture(name)}\n`.repeat(200),
    ])();
  } else if (roll < 25) {
    kind = 'whole fixture';
    stdout = fixture(name);
  } else {
    const m = mutateFixture(fixture(name), isNdjson(name), rng);
    kind = m.kind;
    stdout = m.text;
  }
  // Sometimes the stdout and stderr streams trade places (a capture with 2>&1 or a swapped pipe).
  if (rng.bool(0.05)) return { kind: `${kind} (on stderr)`, out: { stdout: stderr, stderr: stdout, exitCode } };
  return { kind: `${kind} of ${name}`, out: { stdout, stderr, exitCode } };
}

const isTyped = (err: unknown): boolean =>
  err instanceof UnexpectedOutputError || err instanceof ConfigurationError || err instanceof TransientError;

const preview = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…(${s.length} chars)` : s);

describe('parsers on generated input: a value or a typed error, nothing else', () => {
  for (const [index, subject] of SUBJECTS.entries()) {
    it(`${subject.name}: ${CASES_PER_PARSER} inputs`, () => {
      const rng = new Rng(SEED + index * 7919);
      const failures: string[] = [];
      const outcomes = { returned: 0, UnexpectedOutputError: 0, ConfigurationError: 0, TransientError: 0 };
      for (let i = 0; i < CASES_PER_PARSER; i++) {
        const { kind, out } = generate(subject, rng);
        try {
          subject.run(out, rng);
          outcomes.returned++;
        } catch (err) {
          if (!isTyped(err)) {
            const e = err as Error;
            failures.push(
              `#${i} ${kind}: ${e?.name}: ${String(e?.message).slice(0, 200)}\n    stdout=${preview(out.stdout)} stderr=${preview(out.stderr)} exit=${out.exitCode}`,
            );
            continue;
          }
          if (err instanceof UnexpectedOutputError) outcomes.UnexpectedOutputError++;
          else if (err instanceof TransientError) outcomes.TransientError++;
          else outcomes.ConfigurationError++;
          // A typed error always says something.
          expect((err as Error).message.length).toBeGreaterThan(10);
        }
      }
      expect(failures).toEqual([]);
      // The inputs exercised both sides: some parsed, some were refused as unexpected.
      expect(outcomes.returned).toBeGreaterThan(0);
      expect(outcomes.UnexpectedOutputError).toBeGreaterThan(0);
    });
  }
});

describe('parsers on a deeply nested value in place of each field of a real capture', () => {
  // JSON.parse copes with any depth, JSON.stringify does not: a parser that prints part of what it read
  // must not crash with a RangeError.
  for (const subject of SUBJECTS) {
    it(subject.name, () => {
      const rng = new Rng(SEED);
      const failures: string[] = [];
      let cases = 0;
      for (const name of subject.fixtures) {
        const text = fixture(name);
        const docs = isNdjson(name) ? text.split('\n').filter((l) => l.trim() !== '') : [text];
        docs.forEach((doc, lineNo) => {
          const parsed = JSON.parse(doc) as Json;
          for (const path of allPaths(parsed).filter((p) => p.length > 0 && p.length <= 2)) {
            const copy = structuredClone(parsed);
            const parent = containerAt(copy, path.slice(0, -1)) as Record<string | number, Json>;
            parent[path[path.length - 1]!] = DEEP;
            const replaced = serialize(copy, rng, undefined);
            const stdout = isNdjson(name) ? docs.map((d, i) => (i === lineNo ? replaced : d)).join('\n') : replaced;
            cases++;
            try {
              subject.run({ stdout, stderr: '', exitCode: 0 }, new Rng(cases));
              if (subject.name.startsWith('parseLogs'))
                countMismatches(parseLogs({ stdout, stderr: '', exitCode: 0 }).records, {
                  sinceMs: 0,
                  mention: 'nowhere',
                });
            } catch (err) {
              if (!isTyped(err))
                failures.push(
                  `${name}${isNdjson(name) ? ` line ${lineNo + 1}` : ''} ${path.join('.')}: ${(err as Error).name}: ${(err as Error).message.slice(0, 120)}`,
                );
            }
          }
        });
      }
      expect(cases).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Planted secrets

/** Puts the secrets into `token`/`deviceToken` fields and free text of a JSON document. */
function plantJson(doc: Json, tok: string, hex: string, rng: Rng): Json {
  const out = structuredClone(doc);
  const objects = allPaths(out)
    .map((p) => containerAt(out, p))
    .filter((n): n is { [key: string]: Json } => n !== null && typeof n === 'object' && !Array.isArray(n));
  const strings = allPaths(out).filter((p) => p.length > 0 && typeof containerAt(out, p) === 'string');
  const target = objects.length > 0 ? rng.pick(objects) : undefined;
  if (target) {
    target.token = tok;
    target.deviceToken = hex;
  }
  // Free text: into an existing string value, or a new message field.
  const phrase = rng.pick([
    `auth failed for ${tok}`,
    `token ${hex} rejected`,
    `${tok} ${hex}`,
    `see ${hex}.`,
    `(${tok})`,
  ]);
  if (strings.length > 0 && rng.bool(0.7)) {
    const p = rng.pick(strings);
    const parent = containerAt(out, p.slice(0, -1)) as Record<string | number, Json>;
    parent[p[p.length - 1]!] = `${JSON.stringify(parent[p[p.length - 1]!])} ${phrase}`;
  } else if (target) {
    target.note = phrase;
  }
  if (!target && strings.length === 0) return { token: tok, deviceToken: hex, note: phrase, value: out };
  return out;
}

/** Makes a planted document unacceptable to its parser (so that it throws), keeping the secrets in it. */
function breakIt(text: string, rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return `garbage before ${text}`;
    case 1:
      return text.replace(/[\s}\]]+$/, ''); // cut the closing braces
    case 2:
      return `[${text}]`;
    case 3:
      return text.replace(/"(deviceId|role|ok|status|requestId|type|rpc|run|findings|gateway)":/, '"$1_gone":');
    default:
      return `${text}\n${text}`;
  }
}

describe('typed error messages never repeat a planted secret', () => {
  // Exhaustive: a secret appended to each string field of each real capture in turn, the document then
  // parsed as is and once more with that field's object broken (its other fields deleted).
  for (const [index, subject] of SUBJECTS.entries()) {
    it(`${subject.name}: a secret in each string field of the real captures`, () => {
      const rng = new Rng(SEED + 31 * index);
      const leaks: string[] = [];
      let refused = 0;
      for (const name of subject.fixtures) {
        const text = fixture(name);
        const docs = isNdjson(name) ? text.split('\n').filter((l) => l.trim() !== '') : [text];
        docs.forEach((doc, lineNo) => {
          const parsed = JSON.parse(doc) as Json;
          for (const path of allPaths(parsed).filter(
            (p) => p.length > 0 && typeof containerAt(parsed, p) === 'string',
          )) {
            for (const breakParent of [false, true]) {
              const tok = base64urlToken(rng);
              const hex = hexToken(rng);
              const copy = structuredClone(parsed);
              const parent = containerAt(copy, path.slice(0, -1)) as Record<string | number, Json>;
              const key = path[path.length - 1]!;
              parent[key] = `${JSON.stringify(parent[key])} token ${tok} deviceToken=${hex}`;
              if (breakParent && !Array.isArray(parent))
                for (const k of Object.keys(parent)) if (k !== key) parent[k] = 0;
              const replaced = JSON.stringify(copy);
              const stdout = isNdjson(name) ? docs.map((d, i) => (i === lineNo ? replaced : d)).join('\n') : replaced;
              try {
                subject.run({ stdout, stderr: '', exitCode: 1 }, new Rng(lineNo));
              } catch (err) {
                if (!isTyped(err)) throw err;
                refused++;
                const message = (err as Error).message;
                if (message.includes(tok) || message.includes(hex)) {
                  leaks.push(
                    `${name}${isNdjson(name) ? ` line ${lineNo + 1}` : ''} ${path.join('.')}: ${(err as Error).name}: ${message.slice(0, 300)}`,
                  );
                }
              }
            }
          }
        });
      }
      expect(leaks).toEqual([]);
      expect(refused).toBeGreaterThan(0);
    });
  }

  for (const [index, subject] of SUBJECTS.entries()) {
    it(`${subject.name}: ${SECRET_CASES_PER_PARSER} inputs with planted tokens`, () => {
      const rng = new Rng(SEED ^ (0x5ec2e7 + index * 104_729));
      let refusedWithSecretInInput = 0;
      const leaks: string[] = [];
      for (let i = 0; i < SECRET_CASES_PER_PARSER; i++) {
        const tok = base64urlToken(rng);
        const hex = hexToken(rng);
        const name = rng.pick(subject.fixtures);
        let stdout: string;
        if (isNdjson(name)) {
          const lines = fixture(name)
            .split('\n')
            .filter((l) => l.trim() !== '');
          const at = rng.int(lines.length);
          lines[at] = JSON.stringify(plantJson(JSON.parse(lines[at]!) as Json, tok, hex, rng));
          if (rng.bool()) lines[at] = breakIt(lines[at], rng);
          stdout = lines.join('\n');
        } else {
          const planted = serialize(plantJson(JSON.parse(fixture(name)) as Json, tok, hex, rng), rng);
          stdout = rng.bool(0.8) ? breakIt(planted, rng) : planted;
        }
        const free = rng.bool(0.3) ? `[openclaw] Reason: token ${tok} / ${hex}` : '';
        const out: Captured = { stdout, stderr: free, exitCode: rng.pick([0, 1]) };
        expect(out.stdout.includes(tok) && out.stdout.includes(hex)).toBe(true);
        try {
          subject.run(out, rng);
        } catch (err) {
          if (!isTyped(err)) throw err;
          const message = (err as Error).message;
          if (err instanceof UnexpectedOutputError) refusedWithSecretInInput++;
          if (message.includes(tok) || message.includes(hex))
            leaks.push(`#${i} ${(err as Error).name}: ${message.slice(0, 600)}`);
        }
      }
      expect(leaks).toEqual([]);
      // Enough of the planted inputs were refused as unexpected output for the check to mean something.
      expect(refusedWithSecretInInput).toBeGreaterThanOrEqual(SECRET_CASES_PER_PARSER / 4);
    });
  }
});
