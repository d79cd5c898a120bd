/**
 * The pieces every Temporal activity wrapper shares: the call context (timeout, the activity's
 * cancellation signal, a heartbeat), the conversion of our typed errors into Temporal failures that keep
 * their type and retryability (messages redacted), and a 5-second heartbeat for long steps.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RolloutError } from '../shared/errors.js';
import { redact } from './host/redact.js';
import type { CallContext } from './call-context.js';

/** The plain functions' CallContext for the current activity, with `timeoutMs` per command. */
export function context(timeoutMs: number): CallContext {
  const ctx = Context.current();
  return { timeoutMs, signal: ctx.cancellationSignal, heartbeat: (details) => ctx.heartbeat(details) };
}

/** Runs `fn`, converting our typed errors into Temporal failures that keep their type and retryability. */
export async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RolloutError) {
      throw ApplicationFailure.create({ type: err.name, message: redact(err.message), nonRetryable: !err.retryable });
    }
    if (err instanceof ApplicationFailure) throw err;
    // Anything else is a bug or an environment failure: keep it retryable, but never leak a secret.
    const e = err as Error;
    throw ApplicationFailure.create({
      type: e?.name ?? 'Error',
      message: redact(String(e?.message ?? err)),
      nonRetryable: false,
    });
  }
}

/**
 * Heartbeats every 5 s while a long step runs (also while a command it runs is silent), so a worker
 * that dies mid-step is noticed after policy.stepTimeouts.heartbeat and the step is retried elsewhere.
 */
export async function keepAlive<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), 5000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
