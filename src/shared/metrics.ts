/**
 * The rollout's Prometheus metrics, one list: name, kind, labels, help and who records it. The workflows
 * (src/workflows/lib/metrics.ts) record events; the central worker's fleet gauges
 * (src/worker/metrics/fleet-gauges.ts) set what is true now, from Temporal. docs/metrics.md says how
 * each is computed and why none is counted twice. Labels carry only cluster and instance names, step
 * ids, phases and fixed words: never a secret. The instance label is `openclaw_instance` because
 * Prometheus sets its own `instance` label (the scraped target) on every series. Workflow-safe: no I/O.
 */
import { INSTANCE_PHASES } from './messages/rollout.js';

/** Who records a metric: the workflow that lived the event (once: replay records nothing), or the fleet gauges. */
export type MetricSource = 'workflow' | 'fleet';

export interface MetricSpec {
  name: string;
  kind: 'counter' | 'histogram' | 'gauge';
  labels: readonly string[];
  help: string;
  source: MetricSource;
  /** Histogram buckets (seconds). */
  buckets?: readonly number[];
}

/** Seconds: 30 s to 4 h, for waits that last minutes (out of traffic, a person's approval). */
const MINUTES_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400] as const;

export const METRICS = {
  outOfTraffic: {
    name: 'openclaw_rollout_out_of_traffic_seconds',
    kind: 'histogram',
    labels: ['cluster', 'openclaw_instance'],
    help: 'Each stay of an instance out of traffic, drain call to rejoin or put-back, recorded when it ends',
    source: 'workflow',
    buckets: MINUTES_BUCKETS,
  },
  approvalWait: {
    name: 'openclaw_rollout_approval_wait_seconds',
    kind: 'histogram',
    labels: ['cluster', 'openclaw_instance', 'gate'],
    help: 'How long a human gate (rejoin, failure decision, repair) waited for its decision, recorded when it came',
    source: 'workflow',
    buckets: MINUTES_BUCKETS,
  },
  stepsFailed: {
    name: 'openclaw_rollout_steps_failed_total',
    kind: 'counter',
    labels: ['cluster', 'openclaw_instance', 'step'],
    help: 'Recorded steps that failed (after their retries), by step id',
    source: 'workflow',
  },
  rollbacks: {
    name: 'openclaw_rollout_rollbacks_total',
    kind: 'counter',
    labels: ['cluster', 'openclaw_instance'],
    help: 'Rollbacks started (an operator decided rollback after a failure or a rejection)',
    source: 'workflow',
  },
  repairs: {
    name: 'openclaw_rollout_repairs_total',
    kind: 'counter',
    labels: ['cluster', 'openclaw_instance', 'outcome'],
    help: 'Emergency repairs ended, by outcome (repaired, rejected, failed)',
    source: 'workflow',
  },
  mismatchRefusals: {
    name: 'openclaw_rollout_mismatch_refusals_total',
    kind: 'counter',
    labels: ['cluster', 'openclaw_instance', 'check', 'in_rollout'],
    help: 'device token mismatch refusals the checks found in the gateway log, by check; in_rollout false: a check run outside a rollout',
    source: 'workflow',
  },
  notificationsFailed: {
    name: 'openclaw_rollout_notifications_failed_total',
    kind: 'counter',
    labels: ['cluster', 'event'],
    help: 'Notifications not delivered to a target after their retries, by event',
    source: 'workflow',
  },
  running: {
    name: 'openclaw_rollout_running',
    kind: 'gauge',
    labels: ['cluster'],
    help: '1 while the cluster has a rollout running, else 0',
    source: 'fleet',
  },
  instances: {
    name: 'openclaw_rollout_instances',
    kind: 'gauge',
    labels: ['cluster', 'phase'],
    help: 'Instances of the running rollout by phase (all 0 when none runs)',
    source: 'fleet',
  },
  outOfTrafficNow: {
    name: 'openclaw_rollout_instance_out_of_traffic_seconds',
    kind: 'gauge',
    labels: ['cluster', 'openclaw_instance'],
    help: 'Seconds the instance has been out of traffic so far (0: in traffic)',
    source: 'fleet',
  },
  awaitingPerson: {
    name: 'openclaw_rollout_instance_awaiting_person_seconds',
    kind: 'gauge',
    labels: ['cluster', 'openclaw_instance'],
    help: 'Seconds the instance has been waiting for a person (approval or a decision after a failure; 0: not waiting)',
    source: 'fleet',
  },
  hostPollers: {
    name: 'openclaw_rollout_host_queue_pollers',
    kind: 'gauge',
    labels: ['cluster', 'host'],
    help: 'Workers polling a gateway host queue (worker --host) for activities, seen within 90 s',
    source: 'fleet',
  },
  gaugesUpdated: {
    name: 'openclaw_rollout_fleet_gauges_updated_seconds',
    kind: 'gauge',
    labels: ['cluster'],
    help: 'Unix time of the fleet gauges last successful update by this worker',
    source: 'fleet',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** The phases the instances gauge reports (each set, 0 or more, on every update): every instance phase. */
export const GAUGE_PHASES = INSTANCE_PHASES;

/** Every metric name the worker exports itself (the SDK's own come on top, prefixed temporal_). */
export const ROLLOUT_METRIC_NAMES: readonly string[] = Object.values(METRICS).map((m) => m.name);
