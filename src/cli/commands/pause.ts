/**
 * `pause` and `resume`: stop the rollout before its next instance, or go on after a pause (signals:
 * the rollout records who asked). One handler for both.
 */
import { optionProblem, type Command, type CommandContext } from '../command.js';
import { rolloutHandle, withClient } from '../client.js';
import { checkPauseRequest, pauseRollout, resumeRollout } from '../../shared/messages/rollout.js';

function pauseOrResume(kind: 'pause' | 'resume') {
  return async ({ inventory, values, out }: CommandContext): Promise<number> => {
    const checked = checkPauseRequest({
      by: values.by ?? process.env.USER,
      ...(values.comment ? { comment: values.comment } : {}),
    });
    if (!checked.ok) throw optionProblem(kind, checked.problem, ['by']);
    return withClient(inventory, async (client) => {
      const handle = rolloutHandle(client, inventory);
      await handle.signal(kind === 'pause' ? pauseRollout : resumeRollout, checked.value);
      out(
        kind === 'pause'
          ? `pause requested by ${checked.value.by}: ${handle.workflowId} stops before its next instance (the current one finishes its turn)`
          : `resume requested by ${checked.value.by}: ${handle.workflowId} goes on with its next instance`,
      );
      return 0;
    });
  };
}

export const pause: Command = {
  name: 'pause',
  options: ['by', 'comment'],
  help: `  pause       stop before the next instance (the current one finishes its turn): --by <name>`,
  run: pauseOrResume('pause'),
};

export const resume: Command = {
  name: 'resume',
  options: ['by', 'comment'],
  help: `  resume      go on after a pause: --by <name>`,
  run: pauseOrResume('resume'),
};
