/**
 * A bed gateway's config in the form its release accepts, found by asking the release: `openclaw config
 * schema` prints the JSON schema of openclaw.json, and every key the bed writes is looked up in it first.
 * Releases differ (checked on the installed packages): 2026.9 knows `gateway.nodes.pairing.autoApproveLocal`
 * (the bed sets it false, so every device is approved explicitly, the runbook's way); 2026.7.35 knows only
 * `pairing.autoApproveCidrs` and rejects the rest ("Invalid input", exit 78); 2026.4.1 has no
 * `gateway.nodes.pairing` at all ("Unrecognized key"). Where the switch is missing, the release approves
 * a loopback client's pairing by itself: `pairing` says which way the bed pairs its devices.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { node24Bin } from './tools.js';

/** The part of a JSON schema this module reads (`config schema` prints draft-07). */
export interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
}

export interface GatewayConfigInput {
  port: number;
  bind: 'loopback' | 'lan';
  sharedToken: string;
  logFile: string;
}

export interface ReleaseConfig {
  config: Record<string, unknown>;
  /**
   * `approve`: a new device's first connect asks to pair and `devices approve` accepts it;
   * `silent-local`: the release has no switch for local auto-approval and lets a loopback client in.
   */
  pairing: 'approve' | 'silent-local';
}

/** The keys every bed gateway needs: without one of them the bed cannot run that release. */
const REQUIRED = [
  'gateway.mode',
  'gateway.port',
  'gateway.bind',
  'gateway.auth.mode',
  'gateway.auth.token',
  'logging.file',
] as const;
const AUTO_APPROVE_LOCAL = 'gateway.nodes.pairing.autoApproveLocal';

/** The schema node at a dot path (following properties through anyOf/oneOf/allOf), or undefined. */
export function schemaAt(schema: JsonSchemaNode, path: string): JsonSchemaNode | undefined {
  let nodes: JsonSchemaNode[] = [schema];
  for (const key of path.split('.')) {
    nodes = nodes.flatMap(alternatives).flatMap((n) => (n.properties?.[key] ? [n.properties[key]] : []));
    if (nodes.length === 0) return undefined;
  }
  return nodes[0];
}

function alternatives(n: JsonSchemaNode): JsonSchemaNode[] {
  return [n, ...[...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])].flatMap(alternatives)];
}

/** The bed's gateway config for the release whose schema this is; throws naming a key it lacks. */
export function gatewayConfigFor(schema: JsonSchemaNode, release: string, p: GatewayConfigInput): ReleaseConfig {
  const missing = REQUIRED.filter((path) => !schemaAt(schema, path));
  if (missing.length)
    throw new Error(
      `bed: openclaw ${release}'s config schema has no ${missing.join(', ')}: the bed cannot configure this ` +
        'release (run its `openclaw config schema` to see what it knows)',
    );
  const explicit = schemaAt(schema, AUTO_APPROVE_LOCAL) !== undefined;
  const gateway: Record<string, unknown> = {
    mode: 'local',
    port: p.port,
    bind: p.bind,
    auth: { mode: 'token', token: p.sharedToken },
    ...(explicit ? { nodes: { pairing: { autoApproveLocal: false } } } : {}),
  };
  return { config: { gateway, logging: { file: p.logFile } }, pairing: explicit ? 'approve' : 'silent-local' };
}

const schemas = new Map<string, Promise<JsonSchemaNode>>();

/**
 * The release's own config schema (`openclaw config schema` of the template prefix, ~2.4 MB of JSON,
 * ~3-7 s), once per template and process: an installed release never changes.
 */
export function releaseConfigSchema(template: string): Promise<JsonSchemaNode> {
  let schema = schemas.get(template);
  if (!schema) {
    schema = readSchema(template);
    schemas.set(template, schema);
    schema.catch(() => schemas.delete(template));
  }
  return schema;
}

async function readSchema(template: string): Promise<JsonSchemaNode> {
  const home = await mkdtemp(join(tmpdir(), 'bed-config-schema-'));
  try {
    const r = await execa(node24Bin(), [join(template, 'lib/node_modules/openclaw/openclaw.mjs'), 'config', 'schema'], {
      env: { PATH: `${dirname(node24Bin())}:/usr/bin:/bin`, HOME: home, TMPDIR: home, NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    try {
      return JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as JsonSchemaNode;
    } catch {
      throw new Error(
        `bed: \`openclaw config schema\` of ${template} printed no JSON schema (exit ${r.exitCode}): ` +
          `${(r.stderr || r.stdout).slice(0, 400)}`,
      );
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
