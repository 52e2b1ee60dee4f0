import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ReconcileResult, SweepReport } from '../reconcile/types.js';
import { METRIC, METRICS_NAMESPACE } from './metric-names.js';
import { SERVICE_NAME } from './observability.js';

/**
 * The reconcilers' metrics. A module of its own: only the handlers that reconcile (scheduled sweep,
 * events) import it, so the API's bundle carries no metrics library.
 */

/** Powertools metrics written as CloudWatch EMF to stdout; published by `publishStoredMetrics()`. */
export function createMetrics(): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
  });
}

/** The class of a failed pass, as the `ErrorClass` dimension of the `Errors` metric. */
export function errorClassOf(result: ReconcileResult): string | undefined {
  if (result.errorClass) return result.errorClass;
  if (result.outcome === 'observe-failed') return 'observe';
  if (result.outcome === 'failed' || result.error !== undefined) return 'other';
  return undefined;
}

/** Counts of what a set of reconcile passes did. */
export function tally(results: readonly ReconcileResult[]) {
  const errors = new Map<string, number>();
  let acted = 0;
  let blocked = 0;
  let launches = 0;
  let terminations = 0;
  for (const r of results) {
    if (r.outcome === 'acted') acted += 1;
    if (r.outcome === 'blocked' || r.plan?.blocked) blocked += 1;
    launches += r.launched;
    terminations += r.terminated;
    const cls = errorClassOf(r);
    if (cls) errors.set(cls, (errors.get(cls) ?? 0) + 1);
  }
  return { acted, blocked, launches, terminations, errors };
}

/**
 * Records one sweep (or one event's passes): groups seen / acted / blocked, launches,
 * terminations, and errors by class (one EMF record per class, with an `ErrorClass` dimension).
 */
export function recordPasses(
  metrics: Metrics,
  results: readonly ReconcileResult[],
  groupsSeen: number = results.length,
): ReturnType<typeof tally> {
  const t = tally(results);
  metrics.addMetric(METRIC.groupsSeen, MetricUnit.Count, groupsSeen);
  metrics.addMetric(METRIC.groupsActed, MetricUnit.Count, t.acted);
  metrics.addMetric(METRIC.groupsBlocked, MetricUnit.Count, t.blocked);
  metrics.addMetric(METRIC.launches, MetricUnit.Count, t.launches);
  metrics.addMetric(METRIC.terminations, MetricUnit.Count, t.terminations);
  for (const [cls, n] of t.errors) {
    metrics.singleMetric().addDimension('ErrorClass', cls).addMetric(METRIC.errors, MetricUnit.Count, n);
  }
  return t;
}

/** `recordPasses` for a sweep report. */
export function recordSweep(metrics: Metrics, report: SweepReport) {
  return recordPasses(metrics, report.results, report.groupsSeen);
}
