/**
 * Writes docs/inventory.schema.json, the JSON Schema of the inventory generated from the zod schema
 * (src/shared/inventory.ts), so editors can complete and check cluster files
 * (`# yaml-language-server: $schema=./docs/inventory.schema.json`, or `"$schema"` in JSON).
 * test/unit/inventory-schema.test.ts fails when the committed file is stale: rerun `npm run schema`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Inventory } from '../src/shared/inventory.js';

export const schemaPath = fileURLToPath(new URL('../docs/inventory.schema.json', import.meta.url));

export function inventoryJsonSchema(): string {
  const schema = z.toJSONSchema(Inventory, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, title: 'openclaw-rollout inventory', description: 'A cluster of OpenClaw gateways for openclaw-rollout (see docs/inventory.md). Secrets are references: { env: NAME } or { file: PATH }.' }, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(schemaPath, inventoryJsonSchema());
  console.log(`wrote ${schemaPath}`);
}
