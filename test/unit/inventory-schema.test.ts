/** The committed JSON Schema matches the zod schema, and accepts/rejects what the loader does. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { inventoryJsonSchema, schemaPath } from '../../scripts/inventory-schema.js';

describe('docs/inventory.schema.json', () => {
  it('is up to date with src/shared/inventory.ts (run `npm run schema` after changing the inventory)', async () => {
    expect(await readFile(schemaPath, 'utf8')).toBe(inventoryJsonSchema());
  });

  it('describes the fields an editor should complete', async () => {
    const schema = JSON.parse(await readFile(schemaPath, 'utf8')) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['cluster', 'temporal', 'loadBalancer', 'instances', 'policy']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['cluster', 'loadBalancer', 'instances']));
    const text = JSON.stringify(schema);
    for (const word of ['global', 'source', 'command', 'haproxy', 'operator', 'node'])
      expect(text).toContain(`"${word}"`);
  });
});

describe('examples/cluster.example.yaml', () => {
  it('is a valid inventory and points editors at the schema', async () => {
    const { loadInventory } = await import('../../src/inventory-file.js');
    const path = new URL('../../examples/cluster.example.yaml', import.meta.url).pathname;
    const inventory = await loadInventory(path);
    expect(inventory.instances[0]!.devices.map((d) => d.role)).toEqual(['operator', 'node']);
    expect((await readFile(path, 'utf8')).split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../docs/inventory.schema.json',
    );
  });
});
