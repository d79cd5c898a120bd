/**
 * Loads and validates an inventory file (YAML or JSON). Used by the starter and the worker, never by
 * workflow code (it reads files). A malformed file raises a ValidationError listing every problem by
 * field path; nothing else happens.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigurationError, ValidationError } from './shared/errors.js';
import { Inventory, formatIssues } from './shared/inventory.js';

/** Parses inventory text (YAML is a superset of JSON, so one parser serves both). */
export function parseInventory(text: string, source = 'inventory'): Inventory {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message : String(err);
    throw new ValidationError(source, [`not valid YAML/JSON: ${detail}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError(source, ['(top level): expected a mapping with cluster, loadBalancer and instances']);
  }
  const result = Inventory.safeParse(data);
  if (!result.success) throw new ValidationError(source, formatIssues(result.error));
  return result.data;
}

/** Reads and validates an inventory file. */
export async function loadInventory(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      code === 'ENOENT'
        ? `inventory file ${path} does not exist: pass --inventory <path to cluster.yaml>`
        : `cannot read inventory file ${path}: ${String(err)}`,
    );
  }
  return parseInventory(text, `inventory ${path}`);
}
