/**
 * Approves every instance of a rollout as soon as it waits, the way an operator would with the starter:
 * once an instance's devices are rotated (the last steps before the gate; the client window runs the
 * reconnect hooks after the rejoin, older paths before the gate), ask the instance's
 * `progress` until it says AwaitingApproval, then send `approveRejoin` to the rollout. Records when each
 * approval was sent and when the instance's rejoin (lbReady) started, for the latency figures.
 */
import type { Client } from '@temporalio/client';
import { sleep } from '../test/bed/probes.js';
import { instanceWorkflowId } from '../src/shared/ids.js';
import { approveRejoin, instanceProgressQuery } from '../src/shared/messages/rollout.js';
import type { ActivityFeed } from './activity-feed.js';

export const APPROVER_NOTIFY = ['rotateDeviceToken', 'runReconnectHook', 'lbReady'];

export interface Approval {
  instance: string;
  sentAt: number;
  rejoinStartedAt?: number;
}

export class AutoApprover {
  readonly approvals = new Map<string, Approval>();
  private hooked = new Set<string>();
  private failures: Error[] = [];
  private unsubscribe: () => void;
  /** Called instead of approving right away (the kill test decides when to approve). */
  onWaiting?: (instance: string, approve: () => Promise<void>) => void;

  constructor(
    private client: Client,
    private rolloutId: string,
    feed: ActivityFeed,
    /**
     * triggers: the activities after which an instance is watched (the real bed's instances without
     * devices rotate nothing: `lbDrain` there); pollMs, waitMs: how often and how long it is asked.
     */
    private opts: { triggers?: string[]; pollMs?: number; waitMs?: number } = {},
  ) {
    const triggers = opts.triggers ?? ['rotateDeviceToken', 'runReconnectHook'];
    this.unsubscribe = feed.on((e) => {
      const instance = e.workflowId.startsWith(`${rolloutId}/`) ? e.workflowId.slice(rolloutId.length + 1) : undefined;
      if (!instance) return;
      if (triggers.includes(e.activity) && !this.hooked.has(instance)) {
        this.hooked.add(instance);
        this.whenWaiting(instance).catch((err: unknown) => this.failures.push(err as Error));
      }
      const approval = this.approvals.get(instance);
      if (e.activity === 'lbReady' && approval && approval.rejoinStartedAt === undefined)
        approval.rejoinStartedAt = e.at;
    });
  }

  private async whenWaiting(instance: string): Promise<void> {
    const child = this.client.workflow.getHandle(instanceWorkflowId(this.rolloutId, instance));
    const deadline = Date.now() + (this.opts.waitMs ?? 30_000);
    for (;;) {
      if ((await child.query(instanceProgressQuery)).phase === 'AwaitingApproval') break;
      if (Date.now() > deadline) throw new Error(`${instance} never reached AwaitingApproval`);
      await sleep(this.opts.pollMs ?? 10);
    }
    const approve = async () => {
      const sentAt = Date.now();
      this.approvals.set(instance, { instance, sentAt });
      await this.client.workflow.getHandle(this.rolloutId).signal(approveRejoin, {
        instance,
        approver: 'bench-approver',
        comment: 'automatic (benchmark; not the starter: four-eyes)',
      });
    };
    if (this.onWaiting) this.onWaiting(instance, approve);
    else await approve();
  }

  /** Approval → rejoin started, in ms, for every approval whose rejoin was seen. */
  latencies(): number[] {
    return [...this.approvals.values()]
      .filter((a) => a.rejoinStartedAt !== undefined)
      .map((a) => a.rejoinStartedAt! - a.sentAt);
  }

  close(): void {
    this.unsubscribe();
    if (this.failures.length) throw this.failures[0]!;
  }
}
