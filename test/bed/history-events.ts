/**
 * Reading an exported history (`temporal workflow show --output json`, as histories.ts saves it): which
 * activities started how often, when one ran, and on which task queue and worker each one started.
 */

/** The fields of an exported history event read here. */
interface HistoryEvent {
  eventId: string;
  eventTime: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; taskQueue?: { name: string } };
  activityTaskStartedEventAttributes?: { scheduledEventId: string; attempt?: number; identity?: string };
  activityTaskCompletedEventAttributes?: { scheduledEventId: string };
}

const eventsOf = (historyJson: string) => (JSON.parse(historyJson) as { events: HistoryEvent[] }).events;

/** Activity starts: name → attempts of each scheduled activity. */
export function activityAttempts(historyJson: string): Record<string, number[]> {
  const names = new Map<string, string>();
  const attempts: Record<string, number[]> = {};
  for (const e of eventsOf(historyJson)) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType.name);
    const started = e.activityTaskStartedEventAttributes;
    if (started) (attempts[names.get(String(started.scheduledEventId))!] ??= []).push(started.attempt ?? 1);
  }
  return attempts;
}

/** When the one run of activity `name` started and completed (ms since epoch). */
export function activityWindow(historyJson: string, name: string): { started: number; completed: number } {
  const events = eventsOf(historyJson);
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === name);
  const at = (pick: (e: HistoryEvent) => string | undefined) =>
    Date.parse(events.find((e) => pick(e) === scheduled?.eventId)?.eventTime ?? 'none');
  return {
    started: at((e) => e.activityTaskStartedEventAttributes?.scheduledEventId),
    completed: at((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId),
  };
}

/** Every activity start: its name, the task queue it was scheduled on, and the identity of the worker that took it. */
export function activityStarts(historyJson: string): { activity: string; taskQueue: string; identity: string }[] {
  const scheduled = new Map<string, { activity: string; taskQueue: string }>();
  const starts: { activity: string; taskQueue: string; identity: string }[] = [];
  for (const e of eventsOf(historyJson)) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { activity: s.activityType.name, taskQueue: s.taskQueue?.name ?? '?' });
    const started = e.activityTaskStartedEventAttributes;
    if (started)
      starts.push({ ...scheduled.get(String(started.scheduledEventId))!, identity: started.identity ?? '?' });
  }
  return starts;
}
