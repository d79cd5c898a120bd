/**
 * The typed errors of openclaw-rollout. Every error the engine raises on purpose is one of these, so that
 * callers (and Temporal's retry policy, by error type name) can tell "fix your setup" from "try again".
 *
 * Workflow-safe: no Node built-ins, so workflow code may import the class names.
 */

/** Base class: an error openclaw-rollout raised on purpose, with a plain-words message. */
export abstract class RolloutError extends Error {
  /** Whether retrying the same call may succeed. Temporal activity retries honour this. */
  abstract readonly retryable: boolean;
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
  readonly retryable = false;
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
  readonly retryable = true;
}

/**
 * Thrown when a command ran but said something we cannot read (not the JSON shape the pinned CLI
 * prints, or garbage). Non-retryable: a guess would be worse than stopping. The message quotes what was
 * seen, with anything token-shaped redacted.
 */
export class UnexpectedOutputError extends RolloutError {
  readonly retryable = false;
  constructor(
    readonly command: string,
    readonly expected: string,
    readonly seen: string,
  ) {
    super(`${command}: expected ${expected}, but it printed:\n${seen}`);
  }
}

/**
 * Thrown when a check ran fine and its answer is "not healthy / not done" after its deadline: a
 * gateway that reports the wrong version after restart, sessions that never drained, a device that
 * never came back. Retryable (the state may still converge); the workflow decides what to do next.
 */
export class CheckFailedError extends RolloutError {
  readonly retryable = true;
}

/**
 * Thrown when the payload codec cannot do its job: a configured encryption key is malformed (the message
 * names the variable or file line, never the key), a payload names a key id that is not configured, or
 * an encrypted payload fails authentication (tampered with, or encrypted under another key with the same
 * id). Non-retryable as such: the operator must configure the missing or right key, then the worker's
 * retried workflow task or a new starter call succeeds.
 */
export class PayloadCodecError extends ConfigurationError {}

/** Names of the error types that Temporal must not retry (for `nonRetryableErrorTypes`). */
export const NON_RETRYABLE_ERROR_TYPES = ['ConfigurationError', 'ValidationError', 'UnexpectedOutputError'];
