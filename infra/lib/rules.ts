import { Duration } from 'aws-cdk-lib';
import { type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DETAIL_TYPE_RECONCILE_REQUESTED,
  DETAIL_TYPE_SPEC_CHANGED,
  EVENT_SOURCE,
} from '../../src/events/constants.js';

/** EC2 states after which an instance no longer serves its group: its group is reconciled at once. */
export const FAILED_INSTANCE_STATES = ['stopping', 'stopped', 'shutting-down', 'terminated'] as const;

/** Detail-types AWS sends for the EC2 events the events handler reacts to. */
export const EC2_DETAIL_TYPE = {
  stateChange: 'EC2 Instance State-change Notification',
  spotInterruption: 'EC2 Spot Instance Interruption Warning',
  rebalance: 'EC2 Instance Rebalance Recommendation',
} as const;

/** What the rules route, and where. */
export interface ControllerRulesOptions {
  readonly sweepInterval: Duration;
  readonly reconcile: IFunction;
  readonly reconcileDeadLetterQueue: IQueue;
  readonly events: IFunction;
  readonly eventsDeadLetterQueue: IQueue;
  /** The bus carrying the project's own events (AWS service events always use the default bus). */
  readonly projectBus: IEventBus;
}

/** The schedule that drives the sweep, and the rules that bring EC2, Health and our own events in. */
export function createControllerRules(scope: Construct, options: ControllerRulesOptions) {
  // A sweep that could not be delivered within one interval is superseded by the next one.
  const sweepTarget = new LambdaFunction(options.reconcile, {
    deadLetterQueue: options.reconcileDeadLetterQueue,
    maxEventAge: Duration.seconds(Math.max(60, options.sweepInterval.toSeconds())),
    retryAttempts: 2,
  });
  const eventsTarget = () =>
    new LambdaFunction(options.events, { deadLetterQueue: options.eventsDeadLetterQueue });

  const sweep = new Rule(scope, 'SweepSchedule', {
    description: 'Runs the reconcile sweep over all groups',
    schedule: Schedule.rate(options.sweepInterval),
    targets: [sweepTarget],
  });
  const instanceStateChange = new Rule(scope, 'InstanceStateChangeRule', {
    description: 'EC2 instances that stop or terminate: reconcile their group now',
    eventPattern: {
      source: ['aws.ec2'],
      detailType: [EC2_DETAIL_TYPE.stateChange],
      detail: { state: [...FAILED_INSTANCE_STATES] },
    },
    targets: [eventsTarget()],
  });
  const spotInterruption = new Rule(scope, 'SpotInterruptionRule', {
    description: 'Spot two-minute warnings: launch the replacement first',
    eventPattern: { source: ['aws.ec2'], detailType: [EC2_DETAIL_TYPE.spotInterruption] },
    targets: [eventsTarget()],
  });
  const rebalance = new Rule(scope, 'RebalanceRecommendationRule', {
    description: 'Spot rebalance recommendations (acted on for groups that opt in)',
    eventPattern: { source: ['aws.ec2'], detailType: [EC2_DETAIL_TYPE.rebalance] },
    targets: [eventsTarget()],
  });
  const healthScheduledChange = new Rule(scope, 'HealthScheduledChangeRule', {
    description: 'AWS Health scheduled changes for EC2: replace affected instances before they start',
    eventPattern: {
      source: ['aws.health'],
      detailType: ['AWS Health Event'],
      detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
    },
    targets: [eventsTarget()],
  });
  const projectEvents = new Rule(scope, 'ProjectEventsRule', {
    description: 'InfraKit spec changes and reconcile requests (also the sweep fan-out)',
    eventBus: options.projectBus,
    eventPattern: {
      source: [EVENT_SOURCE],
      detailType: [DETAIL_TYPE_SPEC_CHANGED, DETAIL_TYPE_RECONCILE_REQUESTED],
    },
    targets: [eventsTarget()],
  });
  return { sweep, instanceStateChange, spotInterruption, rebalance, healthScheduledChange, projectEvents };
}
