/** `preflight`: the runbook's "Before you start" on every instance and the checks before anything changes; read-only. */
import type { Command } from '../command.js';
import { policyCountsLine } from '../../shared/counts.js';
import { withClient } from '../client.js';
import { lastRolloutLeft } from '../last-rollout.js';
import { runPreflight } from '../preflight-checks.js';
import { checksTable, preflightTable, takenUpLines } from '../views/preflight-tables.js';

export const preflight: Command = {
  name: 'preflight',
  options: ['target'],
  help: `  preflight   runbook "Before you start" on every instance, read-only: gateway healthy (runtime
              running, RPC probe ok), listed devices paired, load balancer knows the server, and the
              checks below (the target ones with --target) (needs a running worker: npm run worker)`,
  run: ({ inventory, inventoryFile, values, out }) =>
    withClient(inventory, async (client) => {
      const report = await runPreflight(
        client,
        inventory,
        inventoryFile,
        'preflight',
        values.target,
        await lastRolloutLeft(client, inventory),
      );
      if (values.json) out(JSON.stringify(report, null, 2));
      else {
        out(preflightTable(report));
        out(`\nchecks before anything changes${values.target ? ` (target ${values.target})` : ''}:`);
        out(checksTable(report, inventory));
        const takenUp = takenUpLines(report);
        if (takenUp.length) out(`\ntaken up by the next rollout:\n${takenUp.map((t) => `  - ${t}`).join('\n')}`);
        out(`\n${policyCountsLine(inventory.policy, inventory.instances.length)}`);
      }
      return report.ok ? 0 : 1;
    }),
};
