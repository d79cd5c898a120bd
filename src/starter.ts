/**
 * The operator CLI. Subcommands (see --help): validate an inventory, run the read-only preflight.
 * Exit codes: 0 ok, 1 the check found problems or a call failed, 2 bad usage or invalid input.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { ConfigurationError, RolloutError, ValidationError } from './errors.js';
import type { Inventory } from './inventory.js';
import { loadInventory } from './inventory-file.js';
import { resolveConnection } from './temporal-connection.js';
import type { PreflightReport } from './workflows/preflight.js';

const HELP = `openclaw-rollout: rolling updates of OpenClaw Gateway clusters, with a human approval before
each instance returns to traffic (runbook "Cluster update and reload").

Usage: npm run starter -- <command> --inventory <cluster.yaml> [options]

Commands:
  validate    check the inventory file and print what it describes; touches nothing
  preflight   runbook "Before you start" on every instance, read-only: gateway healthy (runtime
              running, RPC probe ok), listed devices paired, load balancer knows the server
              (needs a running worker: npm run worker -- --inventory <file>)

Options:
  --inventory <file>  the cluster inventory (YAML or JSON)
  --json              machine-readable output
  -h, --help          this help

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY override the
inventory's temporal block.`;

export class UsageError extends ConfigurationError {}

export async function connectClient(inventory: Inventory): Promise<{ client: Client; connection: Connection }> {
  const conn = await resolveConnection(inventory.temporal);
  const connection = await Connection.connect({ ...conn.options, connectTimeout: 10_000 }).catch((err: Error) => {
    throw new ConfigurationError(`cannot reach Temporal at ${conn.address} (${err.message}). Start it, or set TEMPORAL_ADDRESS / temporal.address.`);
  });
  return { client: new Client({ connection, namespace: conn.namespace }), connection };
}

function preflightTable(report: PreflightReport): string {
  const rows = report.instances.map((i) => [
    i.instance,
    i.healthy ? 'healthy' : 'NOT HEALTHY',
    i.version ?? '-',
    i.lb ? `${i.lb.status}, ${i.lb.sessions} sessions` : '-',
    i.problems.length ? i.problems.join('; ') : 'ok',
  ]);
  const head = ['instance', 'gateway', 'version', 'load balancer', 'problems'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export async function run(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { inventory: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command] = positionals;
  if (values.help || !command) {
    out(HELP);
    return values.help ? 0 : 2;
  }
  if (!values.inventory) throw new UsageError(`${command}: --inventory <cluster.yaml> is required`);
  const inventory = await loadInventory(values.inventory);
  switch (command) {
    case 'validate': {
      if (values.json) out(JSON.stringify(inventory, null, 2));
      else {
        out(`inventory ok: cluster ${inventory.cluster}, ${inventory.instances.length} instances, load balancer ${inventory.loadBalancer.type}`);
        for (const i of inventory.instances) out(`  ${i.id}: lb server ${i.lbServer}, install ${i.install.type}, ${i.devices.length} devices${i.host ? `, host ${i.host}` : ''}`);
      }
      return 0;
    }
    case 'preflight': {
      const { client, connection } = await connectClient(inventory);
      try {
        const report = await client.workflow.execute('clusterPreflight', {
          taskQueue: inventory.temporal.taskQueue,
          workflowId: `${inventory.cluster}/preflight/${Date.now()}`,
          args: [{ inventory }],
          workflowExecutionTimeout: '10m',
        }) as PreflightReport;
        out(values.json ? JSON.stringify(report, null, 2) : preflightTable(report));
        return report.ok ? 0 : 1;
      } finally {
        await connection.close();
      }
    }
    default:
      throw new UsageError(`unknown command "${command}" (see --help)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof RolloutError) {
        console.error(`error: ${err.message}`);
        process.exit(err instanceof ValidationError || err instanceof UsageError ? 2 : 1);
      }
      if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`error: ${err.message} (see --help)`);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
