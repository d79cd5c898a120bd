/** `plan`: the checks before anything changes, then per instance the exact commands a rollout would run; changes nothing. */
import type { Command } from '../command.js';
import { policyCountsLine } from '../../shared/counts.js';
import { withClient } from '../client.js';
import { lastRolloutLeft } from '../last-rollout.js';
import { runPreflight } from '../preflight-checks.js';
import { leftAlone, planCommands, printPlan } from '../views/plan-view.js';
import { checksTable, preflightTable, problemLines, takenUpLines, warningLines } from '../views/preflight-tables.js';

export const plan: Command = {
  name: 'plan',
  options: ['target', 'force'],
  help: `  plan        preflight and the checks before anything changes, then print per instance the exact
              commands a rollout would run, or that it would be left alone (already on the target);
              changes nothing. Checks: target-exists (the registry, asked through the instance's npm,
              or \`openclaw update --dry-run\` has the version), node-engine (its engines.node accepts
              the instance's Node), sticky-routing (runbook rule 1), instance-local-state (rule 2),
              host-worker (a worker polls each host's queue), host-commands (restart/stop/start,
              hooks, npm exist and are executable), disk-space (install and backup fit).
              policy.preflight.warn lists checks that only warn`,
  run: ({ inventory, inventoryFile, values, out }) =>
    withClient(inventory, async (client) => {
      const target = values.target ?? inventory.targetVersion ?? '<target>';
      const report = await runPreflight(
        client,
        inventory,
        inventoryFile,
        'plan',
        target === '<target>' ? undefined : target,
        await lastRolloutLeft(client, inventory),
      );
      const alone = values.force ? new Set<string>() : leftAlone(inventory, report, target);
      const commands = planCommands(inventory, target);
      if (values.json) {
        out(JSON.stringify({ preflight: report, leftAlone: [...alone], plan: commands }, null, 2));
        return report.ok ? 0 : 1;
      }
      out(preflightTable(report));
      out(`\nchecks before anything changes (target ${target}):`);
      out(checksTable(report, inventory));
      out(`\n${policyCountsLine(inventory.policy, inventory.instances.length)}`);
      const warnings = warningLines(report);
      if (warnings.length)
        out(
          `\nwarnings (policy.preflight.warn: start goes on with them):\n${warnings.map((w) => `  - ${w}`).join('\n')}`,
        );
      const takenUp = takenUpLines(report);
      if (takenUp.length) out(`\ntaken up from the last rollout:\n${takenUp.map((t) => `  - ${t}`).join('\n')}`);
      if (!report.ok)
        out(
          `\nstart would refuse:\n${problemLines(report)
            .map((p) => `  - ${p}`)
            .join('\n')}`,
        );
      printPlan(out, inventory, report, commands, alone, target);
      return report.ok ? 0 : 1;
    }),
};
