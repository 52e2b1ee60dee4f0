import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../../src/store/table.js';
import { logicalId, type Synthesized, synthStack } from './support.js';

let synth: Synthesized;
let template: Template;

beforeAll(() => {
  synth = synthStack();
  template = synth.template;
});
afterAll(() => synth.cleanup());

describe('table', () => {
  it('has the store key schema, on-demand billing, PITR and TTL on the event log attribute', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' },
        { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE_KEY.partition, AttributeType: 'S' },
        { AttributeName: TABLE_KEY.sort, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it('is protected from deletion and retained by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('functions', () => {
  const table = () => logicalId(template, 'AWS::DynamoDB::Table', 'ControllerTable');
  const bus = () => logicalId(template, 'AWS::Events::EventBus', 'ControllerEventBus');

  it.each(['ControllerApiFunction', 'ControllerReconcileFunction', 'ControllerEventsFunction'])(
    '%s runs on arm64 Node 24, ESM with source maps, and gets the handler environment',
    (prefix) => {
      const id = logicalId(template, 'AWS::Lambda::Function', prefix);
      template.hasResource('AWS::Lambda::Function', {
        Properties: Match.objectLike({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Environment: {
            Variables: {
              TABLE_NAME: { Ref: table() },
              EVENT_BUS_NAME: { Ref: bus() },
              POWERTOOLS_SERVICE_NAME: 'infrakit',
              POWERTOOLS_METRICS_NAMESPACE: 'InfraKit',
              LOG_LEVEL: 'INFO',
              INFRAKIT_CONTROLLER_ID: synth.stack.controller.controllerId,
              NODE_OPTIONS: '--enable-source-maps',
            },
          },
          LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp(`^${prefix}Logs`) } },
        }),
      });
      expect(id).toMatch(new RegExp(`^${prefix}`));
    },
  );

  it('gives the sweep a 5-minute timeout and no retries (the next sweep is the retry)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('sweep'),
      Timeout: 300,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'ControllerReconcileFunction') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('sends failed asynchronous invocations of reconcile and events to their own dead-letter queue', () => {
    for (const [fn, queue] of [
      ['ControllerReconcileFunction', 'ControllerReconcileDeadLetterQueue'],
      ['ControllerEventsFunction', 'ControllerEventsDeadLetterQueue'],
    ] as const) {
      const queueId = logicalId(template, 'AWS::SQS::Queue', queue);
      const fnId = logicalId(template, 'AWS::Lambda::Function', fn);
      expect(template.toJSON().Resources[fnId].Properties.DeadLetterConfig).toEqual({
        TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
    }
    const apiId = logicalId(template, 'AWS::Lambda::Function', 'ControllerApiFunction');
    expect(template.toJSON().Resources[apiId].Properties.DeadLetterConfig).toBeUndefined();
  });
});

describe('dead-letter queues', () => {
  it('are encrypted at rest and refuse plain HTTP', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    for (const queue of ['ControllerReconcileDeadLetterQueue', 'ControllerEventsDeadLetterQueue']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(template, 'AWS::SQS::Queue', queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});

describe('alarms and dashboard', () => {
  it('alarm on errors and throttles of every function, on every DLQ, and on blocked groups', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { MetricName: string; Namespace: string; Dimensions?: unknown[] },
    );
    const count = (name: string) => alarms.filter((a) => a.MetricName === name).length;
    expect(count('Errors')).toBe(3);
    expect(count('Throttles')).toBe(3);
    expect(count('ApproximateNumberOfMessagesVisible')).toBe(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'InfraKit',
      MetricName: 'GroupsBlocked',
      // Powertools adds the service dimension to every metric it publishes.
      Dimensions: [{ Name: 'service', Value: 'infrakit' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('outputs', () => {
  it('publish the API URL, the table name and the controller id', () => {
    template.hasOutput('ApiUrl', {
      Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
    template.hasOutput('TableName', {
      Value: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'ControllerTable') },
    });
    template.hasOutput('ControllerId', { Value: synth.stack.controller.controllerId });
  });
});
