import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthStack } from './support.js';

let synth: Synthesized;
let template: Template;

beforeAll(() => {
  synth = synthStack();
  template = synth.template;
});
afterAll(() => synth.cleanup());

const fnArn = (prefix: string) => ({
  'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', prefix), 'Arn'],
});
const dlqArn = (prefix: string) => ({
  'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', prefix), 'Arn'],
});
const toEvents = () =>
  Match.arrayWith([
    Match.objectLike({
      Arn: fnArn('ControllerEventsFunction'),
      DeadLetterConfig: { Arn: dlqArn('ControllerEventsDeadLetterQueue') },
    }),
  ]);

describe('EventBridge rules', () => {
  it('run the sweep every minute on the reconcile function, dead-lettered', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: fnArn('ControllerReconcileFunction'),
          DeadLetterConfig: { Arn: dlqArn('ControllerReconcileDeadLetterQueue') },
        }),
      ],
    });
  });

  it.each([
    {
      what: 'instances that stop or terminate',
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['stopping', 'stopped', 'shutting-down', 'terminated'] },
      },
    },
    {
      what: 'spot interruption warnings',
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
    },
    {
      what: 'rebalance recommendations',
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
    },
    {
      what: 'AWS Health scheduled changes for EC2',
      pattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
      },
    },
  ])('route $what from the default bus to the events function', ({ pattern }) => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: pattern, Targets: toEvents() },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    const [rule] = Object.values(rules);
    // AWS service events only ever arrive on the account's default bus.
    expect(rule?.Properties.EventBusName).toBeUndefined();
  });

  it('route the project events from the project bus to the events function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(template, 'AWS::Events::EventBus', 'ControllerEventBus') },
      EventPattern: { source: ['infrakit'], 'detail-type': ['Group Spec Changed', 'Reconcile Requested'] },
      Targets: toEvents(),
    });
  });

  it('let EventBridge invoke only the functions it targets', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => p.Properties as { Principal: string; FunctionName: unknown },
    );
    const byEvents = permissions.filter((p) => p.Principal === 'events.amazonaws.com');
    expect(byEvents).toHaveLength(6);
    const apiArn = fnArn('ControllerApiFunction');
    expect(byEvents.some((p) => JSON.stringify(p.FunctionName) === JSON.stringify(apiArn))).toBe(false);
  });
});

describe('HTTP API', () => {
  it('is an HTTP API whose routes all require IAM authorization', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as { RouteKey: string; AuthorizationType?: string },
    );
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.AuthorizationType, `route ${route.RouteKey}`).toBe('AWS_IAM');
    }
    expect(routes.filter((r) => r.AuthorizationType === 'NONE')).toEqual([]);
    expect(routes.map((r) => r.RouteKey)).toContain('$default');
  });

  it('proxies to the API function with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: fnArn('ControllerApiFunction'),
      PayloadFormatVersion: '2.0',
    });
  });

  it('logs every request to its own log group and throttles the default stage', () => {
    const logs = logicalId(template, 'AWS::Logs::LogGroup', 'ControllerHttpApiAccessLogs');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logs, 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });
});
