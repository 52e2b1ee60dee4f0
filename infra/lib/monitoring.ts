import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC } from '../../src/runtime/metric-names.js';
import { SERVICE_NAME } from './env.js';

/** What the alarms and the dashboard watch. */
export interface MonitoringOptions {
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  readonly api: IHttpApi;
  readonly metricsNamespace: string;
  readonly alarmActions: readonly IAlarmAction[];
}

const PERIOD = Duration.minutes(5);

/**
 * A metric the handlers publish through Powertools (EMF). Powertools adds the `service` dimension
 * to every metric, so the alarm must ask for exactly that dimension or it would watch nothing.
 */
export function controllerMetric(namespace: string, metricName: string, statistic: string): Metric {
  return new Metric({
    namespace,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: PERIOD,
  });
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Alarms on errors, throttles, dead letters and blocked groups, and one dashboard showing it all. */
export function createMonitoring(scope: Construct, options: MonitoringOptions) {
  const alarms: Alarm[] = [];
  const atLeastOnce = (id: string, metric: Metric, description: string) => {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means no errors (the metrics are only emitted when something happens).
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    for (const action of options.alarmActions) alarm.addAlarmAction(action);
    alarms.push(alarm);
    return alarm;
  };

  for (const [name, fn] of Object.entries(options.functions)) {
    const label = capitalized(name);
    atLeastOnce(`${label}ErrorsAlarm`, fn.metricErrors({ period: PERIOD }), `The ${name} function failed`);
    atLeastOnce(
      `${label}ThrottlesAlarm`,
      fn.metricThrottles({ period: PERIOD }),
      `The ${name} function was throttled`,
    );
  }
  for (const [name, queue] of Object.entries(options.deadLetterQueues)) {
    atLeastOnce(
      `${capitalized(name)}DeadLettersAlarm`,
      queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      `Events for the ${name} function failed every retry and wait in its dead-letter queue`,
    );
  }
  const blocked = controllerMetric(options.metricsNamespace, METRIC.groupsBlocked, 'Maximum');
  atLeastOnce(
    'GroupsBlockedAlarm',
    blocked,
    'At least one group is blocked (remediation stopped or invalid configuration); see its status',
  );

  const dashboard = new Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
  const fns = Object.values(options.functions);
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Groups',
      left: [METRIC.groupsSeen, METRIC.groupsActed, METRIC.groupsBlocked].map((m) =>
        controllerMetric(options.metricsNamespace, m, 'Maximum'),
      ),
    }),
    new GraphWidget({
      title: 'Launches and terminations',
      left: [METRIC.launches, METRIC.terminations, METRIC.errors].map((m) =>
        controllerMetric(options.metricsNamespace, m, 'Sum'),
      ),
    }),
    new GraphWidget({ title: 'Function errors', left: fns.map((f) => f.metricErrors({ period: PERIOD })) }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Function duration (p99)',
      left: fns.map((f) => f.metricDuration({ period: PERIOD, statistic: 'p99' })),
    }),
    new GraphWidget({
      title: 'API requests and errors',
      left: [options.api.metricCount({ period: PERIOD })],
      right: [
        options.api.metricClientError({ period: PERIOD }),
        options.api.metricServerError({ period: PERIOD }),
      ],
    }),
    new GraphWidget({
      title: 'Dead letters',
      left: Object.values(options.deadLetterQueues).map((q) =>
        q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      ),
    }),
  );
  return { alarms, dashboard };
}
