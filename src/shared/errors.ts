/**
 * The typed errors of openclaw-rollout. Every error the engine raises on purpose is one of these, so that
 * callers (and Temporal's retry policy, by error type name) can tell "fix your setup" from "try again".
 *
 * Workflow-safe: no Node built-ins, so workflow code may import the class names.
 *
 * Two families: the classes below are thrown by activities and host code (Temporal retries an activity
 * unless its class says `retryable = false`); the workflow failures at the end are raised by workflow
 * code itself, where nothing retries them: a human decides.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Base class: an error openclaw-rollout raised on purpose, with a plain-words message. */
export abstract class RolloutError extends Error {
  /** Whether retrying the same call may succeed (the class's `retryable`). Temporal activity retries honour this. */
  static readonly retryable: boolean;
  get retryable(): boolean {
    return (this.constructor as typeof RolloutError).retryable;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown when the setup is wrong and retrying cannot help: an unknown device or instance, a scope the
 * gateway refuses, a missing secret file or env var, an adapter that is not configured. Non-retryable:
 * the operator must change the inventory or the host, then start again.
 */
export class ConfigurationError extends RolloutError {
  static override readonly retryable = false;
}

/**
 * Thrown when an input file or payload fails validation (the inventory, a starter flag, a signal
 * payload). `issues` lists every problem as `path: what is expected`; nothing has run when it is thrown.
 */
export class ValidationError extends ConfigurationError {
  constructor(
    readonly subject: string,
    readonly issues: string[],
  ) {
    super(`${subject} is invalid:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/**
 * Thrown when a command or socket call failed in a way that may pass on a later try: the gateway is
 * restarting, the HAProxy socket is briefly unavailable, a call timed out. Retryable; the message says
 * what ran, how it ended, what was expected and the command to run by hand.
 */
export class TransientError extends RolloutError {
  static override readonly retryable = true;
}

/**
 * Thrown when a command ran but said something we cannot read (not the JSON shape the pinned CLI
 * prints, or garbage). Non-retryable: a guess would be worse than stopping. The message quotes what was
 * seen, with anything token-shaped redacted.
 */
export class UnexpectedOutputError extends RolloutError {
  static override readonly retryable = false;
  constructor(
    readonly command: string,
    readonly expected: string,
    readonly seen: string,
  ) {
    super(`${command}: expected ${expected}, but it printed:\n${seen}`);
  }
}

/**
 * Thrown when the installed openclaw release does not have a command or option a step asked for: its
 * CLI answered with a usage error (`Unknown command: openclaw database`, `has no command
 * "preflight-agent"`, `doctor lint options require --lint`). Non-retryable: the same release answers the
 * same way. Steps probe the release's `--help` first (activities/openclaw/capabilities.ts) and fall back
 * to what it has; this error means a call was made that the probe did not cover. The message quotes the
 * CLI and names the release's `--help` to read.
 */
export class UnsupportedByReleaseError extends RolloutError {
  static override readonly retryable = false;
}

/**
 * Thrown when a check ran fine and its answer is "not healthy / not done" after its deadline: a
 * gateway that reports the wrong version after restart, sessions that never drained, a device that
 * never came back. Retryable (the state may still converge); the workflow decides what to do next.
 */
export class CheckFailedError extends RolloutError {
  static override readonly retryable = true;
}

/**
 * Thrown when the payload codec cannot do its job: a configured encryption key is malformed (the message
 * names the variable or file line, never the key), a payload names a key id that is not configured, or
 * an encrypted payload fails authentication (tampered with, or encrypted under another key with the same
 * id). Non-retryable as such: the operator must configure the missing or right key, then the worker's
 * retried workflow task or a new starter call succeeds.
 */
export class PayloadCodecError extends ConfigurationError {}

/** Every error class above: the one list the retry policy is derived from. */
const ERROR_CLASSES = [
  ConfigurationError,
  ValidationError,
  TransientError,
  UnexpectedOutputError,
  UnsupportedByReleaseError,
  CheckFailedError,
  PayloadCodecError,
];

/** Names of the error types that Temporal must not retry (for `nonRetryableErrorTypes`), from the classes. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = ERROR_CLASSES.filter((c) => !c.retryable).map((c) => c.name);

/**
 * The failures workflow code raises (the `type` of its ApplicationFailure). None is retried: a workflow
 * that raises one stops at a point where a human decides. The type names are what the Web UI and
 * `temporal workflow describe` show, and recorded histories hold them: they do not change.
 */
export const WorkflowFailureType = {
  /**
   * A check inside a workflow ran and said no: the gateway not healthy or on the wrong version, a
   * channels probe failing, refused connects after rejoin, restored databases that are not exact. The
   * instance's step fails; the operator decides (retry, rollback, skip, abort). Unlike the activity
   * class of the same name it is final for that attempt: asking again gives the same answer until
   * something changes, which is the operator's `retry`.
   */
  CheckFailed: 'CheckFailedError',
  /**
   * An instance child failed and the rollout stops there (histories from before failure decisions, or
   * the child ended in a way the rollout cannot go past). The instance stays out of traffic.
   */
  InstanceFailed: 'InstanceFailed',
  /**
   * An emergency repair cannot finish: the role is still live after the revoke, no new pairing request
   * came within policy.repairDeadline, or the device did not come back after approval. The failure's
   * details carry the repair's progress; the device stays revoked on its gateway.
   */
  RepairFailed: 'RepairFailedError',
} as const;

export type WorkflowFailureType = (typeof WorkflowFailureType)[keyof typeof WorkflowFailureType];

/** A workflow's own failure of `type` (never retried), with optional details for whoever reads it. */
export const workflowFailure = (type: WorkflowFailureType, message: string, ...details: unknown[]) =>
  ApplicationFailure.nonRetryable(message, type, ...details);
