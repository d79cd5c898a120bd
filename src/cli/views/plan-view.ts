/**
 * What `plan` prints: per instance the exact commands a rollout to the target would run, in order, or
 * that the instance would be left alone (already on the target, healthy, in traffic). Pure.
 */
import type { Instance, Inventory } from '../../shared/inventory.js';
import { canStopAndStart, deriveServiceCommand } from '../../shared/service-commands.js';
import type { Out } from '../command.js';
import type { PreflightReport } from '../workflow-starts.js';

/** The load balancer command that drains a server or puts it back. */
function lbCommand(inventory: Inventory, server: string, state: 'drain' | 'ready'): string {
  const lb = inventory.loadBalancer;
  if (lb.type === 'haproxy') return `HAProxy ${lb.socket}: set server ${lb.backend}/${server} state ${state}`;
  if (lb.type === 'command') return (state === 'drain' ? lb.drain : lb.ready).join(' ').replaceAll('{server}', server);
  return '(no load balancer)';
}

/** The instance's openclaw CLI with its profile. */
const cliOf = (i: Instance) =>
  [...i.gateway.cli, ...(i.gateway.profile ? ['--profile', i.gateway.profile] : [])].join(' ');

function installCommand(i: Instance, target: string): string {
  if (i.install.type === 'global')
    return `${i.install.npm.join(' ')} install -g ${i.install.prefix ? `--prefix ${i.install.prefix} ` : ''}openclaw@${target}`;
  if (i.install.type === 'staged')
    return `ln -sfn versions/${target} ${i.install.root}/current   (switch: one atomic rename of the symlink)`;
  if (i.install.type === 'source')
    return `${cliOf(i)} update --yes --json --no-restart --tag ${i.install.tag ?? target}`;
  return i.install.command.map((a) => a.replaceAll('{version}', target)).join(' ');
}

/** OpenClaw's documented update (stop, install, doctor --fix, start): an npm install the rollout can stop and start. */
const documented = (i: Instance) => (i.install.type === 'global' || i.install.type === 'staged') && canStopAndStart(i);

/** What runs before the drain, while the instance still serves (src/workflows/instance/prepare.ts). */
function whileServing(i: Instance, target: string): string[] {
  const steps: string[] = [];
  const inTraffic = '(in traffic)';
  if (i.install.type === 'staged')
    steps.push(
      `${i.install.npm.join(' ')} install -g --prefix ${i.install.root}/versions/${target} openclaw@${target}   ${inTraffic} stage it (via a temporary directory, renamed into place once its CLI says ${target})`,
    );
  if (i.install.type === 'global')
    steps.push(
      `${i.install.npm.join(' ')} install -g --prefix <temporary dir> openclaw@${target}   ${inTraffic} warms npm's cache; install.type staged would shorten the time out of traffic (only a symlink switch after the drain)`,
    );
  if (documented(i))
    steps.push(`${cliOf(i)} doctor --json --non-interactive   ${inTraffic} the running release: refuse early`);
  if (documented(i) && i.install.type === 'staged')
    steps.push(
      `canary: versions/${target}'s openclaw gateway run on a copy of the state (SQLite online backup; own port, log and home; no channels) until /readyz, then stopped and removed   ${inTraffic} it decides whether the window needs doctor --fix`,
    );
  return steps;
}

/** Install and restart, or OpenClaw's documented update where the gateway can be stopped and started (src/workflows/instance/forward.ts). */
function updateCommands(i: Instance, target: string): string[] {
  const cli = cliOf(i);
  const install = installCommand(i, target);
  const doctor = `${cli} doctor --json --non-interactive`;
  if (!documented(i)) return [install, doctor, i.restart ? i.restart.join(' ') : `${cli} gateway restart --json`];
  const fixWhen =
    i.install.type === 'staged'
      ? 'only when the canary started only after it; the new release migrates the state by itself when it starts'
      : 'the migrations it requires; a global install has no canary';
  return [
    deriveServiceCommand(i, 'stop')!.join(' '),
    install,
    `${cli} doctor --fix --non-interactive   (the new release: ${fixWhen})`,
    deriveServiceCommand(i, 'start')!.join(' '),
    `wait for /readyz 200 and /startupz version ${target} (HTTP, every 250 ms)`,
  ];
}

/** The client window (documented update): the checks, the rotations; reconnect hooks and the read-only doctor after the rejoin. */
function windowAndRejoin(inventory: Inventory, i: Instance, target: string): string[] {
  const cli = cliOf(i);
  return [
    `${cli} gateway status --json --require-rpc   (must be healthy on ${target}; side by side with the next)`,
    `${cli} channels status --probe --json`,
    ...rotations(i),
    'wait for approveRejoin / rejectRejoin',
    lbCommand(inventory, i.lbServer, 'ready'),
    ...i.devices
      .filter((d) => d.reconnectHook)
      .map((d) => `${d.reconnectHook!.join(' ')}   (after the rejoin: the client comes back to its own instance)`),
    `verify: status, channels probe, no device token mismatch in ${cli} logs --json over ${inventory.policy.mismatchWindow / 1000} s, rotated devices connected`,
    `${cli} doctor --json --non-interactive   (the new release, read-only, after the rejoin: findings recorded, an error asks you)`,
  ];
}

const rotations = (i: Instance) =>
  i.devices.map(
    (d) =>
      `${cliOf(i)} devices rotate --device ${d.deviceId} --role ${d.role}${d.scopes.map((sc) => ` --scope ${sc}`).join('')} --json`,
  );

function instanceCommands(inventory: Inventory, i: Instance, target: string): string[] {
  const cli = cliOf(i);
  const before = [
    ...whileServing(i, target),
    lbCommand(inventory, i.lbServer, 'drain'),
    `wait until ${i.lbServer} has 0 sessions (at most ${inventory.policy.drainDeadline / 1000} s)`,
    `${cli} backup create --output <backup dir>/<file> --verify --json   (with the running release; checked, its checksum recorded, for a rollback)`,
    ...updateCommands(i, target),
  ];
  if (documented(i)) return [...before, ...windowAndRejoin(inventory, i, target)];
  return [
    ...before,
    `${cli} gateway status --json --require-rpc   (must be healthy on ${target}; side by side with the next)`,
    `${cli} channels status --probe --json`,
    ...rotations(i),
    ...i.devices.filter((d) => d.reconnectHook).map((d) => d.reconnectHook!.join(' ')),
    'wait for approveRejoin / rejectRejoin',
    lbCommand(inventory, i.lbServer, 'ready'),
    `verify: status, channels probe, no device token mismatch in ${cli} logs --json over ${inventory.policy.mismatchWindow / 1000} s, rotated devices connected`,
  ];
}

/** The exact commands a rollout runs per instance (what `plan` prints). */
export function planCommands(inventory: Inventory, target: string): Record<string, string[]> {
  return Object.fromEntries(inventory.instances.map((i) => [i.id, instanceCommands(inventory, i, target)]));
}

/**
 * The instances a rollout to `target` would leave alone, as far as the preflight can tell: healthy on the
 * target and in traffic (the rollout checks channels and the log again before it decides).
 */
export function leftAlone(inventory: Inventory, report: PreflightReport, target: string): Set<string> {
  const inTraffic = (admin: string | undefined) => admin === 'ready' || inventory.loadBalancer.type === 'none';
  return new Set(
    report.instances.filter((i) => i.healthy && i.version === target && inTraffic(i.lb?.admin)).map((i) => i.instance),
  );
}

/** Prints each instance's numbered commands, or why it is left alone. */
export function printPlan(
  out: Out,
  inventory: Inventory,
  report: PreflightReport,
  plan: Record<string, string[]>,
  alone: Set<string>,
  target: string,
): void {
  for (const [instance, commands] of Object.entries(plan)) {
    out(`\n${instance}:`);
    if (alone.has(instance)) {
      out(
        `  left alone: already runs ${target}, healthy and in traffic. At start it is verified again (channels, no device token mismatch in the last ${inventory.policy.mismatchWindow / 1000} s) and nothing else runs; start --force redoes it.`,
      );
      continue;
    }
    const checked = report.instances.find((i) => i.instance === instance);
    if (checked?.jump) out(`  ${checked.jump}`);
    if (checked?.takenUp) out(`  taken up: ${checked.takenUp}`);
    // A taken-up instance is out of traffic already: what runs "while it serves" runs while it is out.
    const where = (c: string) => (checked?.takenUp ? c.replace('(in traffic)', '(out of traffic)') : c);
    commands.forEach((c, i) => out(`  ${i + 1}. ${where(c)}`));
  }
}
