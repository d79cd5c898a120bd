/**
 * One HTTP POST with a deadline. A receiver that answers 5xx, 408 or 429, or does not answer in time, is
 * worth another attempt (TransientError); any other 4xx says the target is misconfigured
 * (ConfigurationError, not retried). Messages name the target, never its URL (it may carry a token).
 */
import { ConfigurationError, TransientError } from '../../shared/errors.js';

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function postJson(target: string, req: PostRequest): Promise<{ status: number }> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      body: req.body,
      headers: { 'content-type': 'application/json', ...req.headers },
      signal,
    });
  } catch (err) {
    if (deadline.aborted) throw new TransientError(`${target}: no answer within ${req.timeoutMs / 1000} s`);
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new TransientError(`${target}: could not POST (${cause ?? (err as Error).name})`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return { status: res.status };
  if (res.status >= 500 || res.status === 408 || res.status === 429)
    throw new TransientError(`${target}: the receiver answered HTTP ${res.status}`);
  throw new ConfigurationError(
    `${target}: the receiver refused the message with HTTP ${res.status}; check the target's URL and secret in notifications.targets`,
  );
}
