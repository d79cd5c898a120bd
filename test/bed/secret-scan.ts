/**
 * The secrets the bed holds, and a scan of text (exported histories, worker logs, starter output) for
 * them. Used by the security test: no gateway shared token and no device token a client holds may
 * appear anywhere Temporal or the operator's terminal could show it.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BedInfo } from './bed.js';
import { sharedToken } from './clients.js';
import { clientIdentity } from './context.js';

export interface HeldSecret {
  /** Where it comes from (never the value). */
  label: string;
  value: string;
}

function sqliteRows(file: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/**
 * Every secret on the bed now: the gateways' shared token, the test client op-1's stored device tokens,
 * the node host's device token (its own state database), and every device token in the gateways'
 * pairing stores.
 */
export async function heldSecrets(info: BedInfo): Promise<HeldSecret[]> {
  const secrets: HeldSecret[] = [{ label: 'gateway shared token', value: await sharedToken(info) }];
  const op = await clientIdentity(info, 'op-1');
  for (const t of op.listDeviceTokens()) secrets.push({ label: `op-1 device token for ${t.gateway}`, value: t.token });
  for (const row of sqliteRows(
    join(info.dir, 'clients', 'node-1', 'state', 'state', 'openclaw.sqlite'),
    'select token from device_auth_tokens',
  )) {
    secrets.push({ label: 'node-1 device token', value: String(row.token) });
  }
  for (const g of info.gateways) {
    for (const row of sqliteRows(
      join(g.stateDir, 'state', 'openclaw.sqlite'),
      'select device_id, tokens_json from device_pairing_paired',
    )) {
      const tokens = JSON.parse(String(row.tokens_json)) as Record<string, { token?: string }>;
      for (const [role, t] of Object.entries(tokens))
        if (t.token)
          secrets.push({
            label: `${g.id} pairing store: ${role} token of ${String(row.device_id).slice(0, 12)}`,
            value: t.token,
          });
    }
  }
  return secrets.filter((s) => s.value.length >= 16);
}

/**
 * Payload data in exported histories is base64: decode every `"data": "..."` field (and unzip the ones
 * the gzip codec compressed) so a secret inside a payload is found too. Returns the JSON text followed
 * by the decoded payloads.
 */
export function historyText(json: string): string {
  const decoded = [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => {
    const bytes = Buffer.from(m[1]!, 'base64');
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    return (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
  });
  return `${json}\n${decoded.join('\n')}`;
}

export async function readHistoryText(file: string): Promise<string> {
  return historyText(await readFile(file, 'utf8'));
}

/** Which secrets appear in which source: `label in source` lines (never the value). */
export function findSecrets(sources: { source: string; text: string }[], secrets: HeldSecret[]): string[] {
  const hits: string[] = [];
  for (const { source, text } of sources)
    for (const s of secrets) if (text.includes(s.value)) hits.push(`${s.label} in ${source}`);
  return hits;
}
