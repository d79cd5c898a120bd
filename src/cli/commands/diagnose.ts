/**
 * `diagnose --device <id>`: reads what every instance knows about the device (devices list and logs,
 * through the worker) and says which of the runbook's three causes of "device token mismatch" applies,
 * with the command that fixes it. Exit 1 when a cause applies.
 */
import { UsageError, type Command, type OptionValues } from '../command.js';
import { withClient } from '../client.js';
import { diagnose as diagnoseDevice } from '../diagnose/verdict.js';
import { formatDiagnosis } from '../views/diagnosis-view.js';
import { diagnosisStart } from '../workflow-starts.js';
import { Duration } from '../../shared/inventory.js';
import { deviceDiagnosis } from '../../workflows/index.js';

const DEVICE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The device and the start of the window, or a usage error naming the flag. */
function parseRequest(values: OptionValues, nowMs: number): { deviceId: string; sinceMs: number } {
  if (!values.device)
    throw new UsageError('diagnose: --device <deviceId> is required (the id shown by `openclaw devices list`)');
  if (!DEVICE_ID.test(values.device))
    throw new UsageError(
      `diagnose: --device "${values.device}" is not a device id (expected the id shown by \`openclaw devices list\`)`,
    );
  const since = Duration.safeParse(values.since ?? '15m');
  if (!since.success) throw new UsageError(`diagnose: --since "${values.since}" is not a duration (e.g. 15m, 1h)`);
  return { deviceId: values.device, sinceMs: nowMs - since.data };
}

export const diagnose: Command = {
  name: 'diagnose',
  options: ['device', 'since'],
  help: `  diagnose    which of the runbook's three causes of "device token mismatch" applies to a device, and
              the command that fixes it: --device <deviceId> [--since 15m] [--json]
              (reads devices list and logs on every instance through the worker; exit 1 when a cause applies)`,
  run({ inventory, inventoryFile, values, out, invokedAs }) {
    const { deviceId, sinceMs } = parseRequest(values, Date.now());
    return withClient(inventory, async (client) => {
      const facts = await client.workflow.execute(
        deviceDiagnosis,
        diagnosisStart(inventory, deviceId, sinceMs, process.env),
      );
      const d = diagnoseDevice(deviceId, facts, sinceMs, {
        inventoryPath: inventoryFile,
        instances: inventory.instances,
        invokedAs,
      });
      out(values.json ? JSON.stringify(d, null, 2) : formatDiagnosis(d));
      return d.findings.length ? 1 : 0;
    });
  },
};
