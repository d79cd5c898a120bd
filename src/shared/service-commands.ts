/**
 * The instance's stop and start commands: `instance.stop` / `instance.start`, else its restart command
 * with the `restart` verb replaced when that is `supervisorctl ... restart <program>` or
 * `systemctl ... restart <unit>` (the same argv, so `-c <conf>` and the like are kept).
 * Pure and workflow-safe: the instance workflow decides with it whether it can stop and start the
 * gateway (the documented update sequence, a rollback from a backup); the activities run the result.
 */
import type { Instance } from './inventory.js';
import { commandLine } from './shell-line.js';

export function deriveServiceCommand(
  instance: Pick<Instance, 'stop' | 'start' | 'restart'>,
  action: 'stop' | 'start',
): string[] | undefined {
  const explicit = instance[action];
  if (explicit) return explicit;
  const restart = instance.restart;
  if (!restart) return undefined;
  const tool = restart[0]!.split('/').at(-1);
  const at = restart.indexOf('restart');
  if ((tool === 'supervisorctl' || tool === 'systemctl') && at > 0 && at < restart.length - 1) {
    return [...restart.slice(0, at), action, ...restart.slice(at + 1)];
  }
  return undefined;
}

/** Whether the gateway can be stopped and started on its own (not only restarted). */
export const canStopAndStart = (instance: Pick<Instance, 'stop' | 'start' | 'restart'>): boolean =>
  deriveServiceCommand(instance, 'stop') !== undefined && deriveServiceCommand(instance, 'start') !== undefined;

/** The stop or start command as a line an operator can paste into a shell, or undefined when it cannot be derived. */
export function serviceCommandLine(
  instance: Pick<Instance, 'stop' | 'start' | 'restart'>,
  action: 'stop' | 'start',
): string | undefined {
  const argv = deriveServiceCommand(instance, action);
  return argv && commandLine(argv);
}
