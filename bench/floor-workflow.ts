/**
 * The floor: a bare workflow that runs `steps` no-op activities one after another and nothing else.
 * What any rollout engine on this Temporal server must pay for that many steps.
 */
import { proxyActivities } from '@temporalio/workflow';

const { floorStep } = proxyActivities<{ floorStep(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function floorWorkflow(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await floorStep();
  return steps;
}
