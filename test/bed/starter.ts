/**
 * The project's command line (src/starter.ts) run in the test's own process, as the e2e tests call
 * it: its exit code and everything it printed, one string. An exception becomes exit code 2 with
 * `error: <message>` after the output, so a test can show it next to a failed assertion.
 */
import { run as starter } from '../../src/starter.js';

export interface StarterResult {
  code: number;
  out: string;
}

/** Runs `openclaw-rollout <args...>`; never throws. */
export async function starterCli(...args: string[]): Promise<StarterResult> {
  const lines: string[] = [];
  try {
    const code = await starter(args, (s) => lines.push(s));
    return { code, out: lines.join('\n') };
  } catch (err) {
    return { code: 2, out: `${lines.join('\n')}\nerror: ${(err as Error).message}` };
  }
}
