/** Fans the worker's activity notifications out to whoever listens (approver, latency, kill test). */
import type { ActivityEvent } from './noop-activities.js';

export class ActivityFeed {
  private listeners = new Set<(e: ActivityEvent) => void>();
  emit = (e: ActivityEvent) => {
    for (const l of this.listeners) l(e);
  };
  on(listener: (e: ActivityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
