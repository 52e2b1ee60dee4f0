import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraKitController, type InfraKitControllerProps } from '../../infra/lib/controller.js';
import { STUB_ENTRIES, STUB_HANDLER, type Synthesized, synthStack } from './support.js';

describe('props validation', () => {
  const build = (props: InfraKitControllerProps) => () =>
    new InfraKitController(new Stack(new App(), 'S'), 'Controller', props);

  it.each([
    {
      prop: 'sweepInterval',
      props: { sweepInterval: Duration.seconds(30) },
      message: /sweepInterval.*30 seconds/,
    },
    {
      prop: 'sweepInterval',
      props: { sweepInterval: Duration.seconds(90) },
      message: /sweepInterval.*whole/,
    },
    {
      prop: 'reconcileTimeout',
      props: { reconcileTimeout: Duration.minutes(20) },
      message: /reconcileTimeout.*15/,
    },
    {
      prop: 'instanceRoleArns',
      props: { instanceRoleArns: ['arn:aws:iam::123456789012:instance-profile/web'] },
      message: /instanceRoleArns\[0\].*instance-profile\/web/,
    },
    {
      prop: 'apiThrottle',
      props: { apiThrottle: { rateLimit: 0, burstLimit: 10 } },
      message: /apiThrottle\.rateLimit/,
    },
    {
      prop: 'apiThrottle',
      props: { apiThrottle: { rateLimit: 5, burstLimit: 0.5 } },
      message: /apiThrottle\.burstLimit/,
    },
    {
      prop: 'controllerId',
      props: { controllerId: 'team/*' },
      message: /controllerId must be 1-128 letters.*"team\/\*"/,
    },
    {
      prop: 'controllerId',
      props: { controllerId: '' },
      message: /controllerId must be 1-128/,
    },
    {
      prop: 'controllerId',
      props: { controllerId: 'x'.repeat(129) },
      message: /controllerId must be 1-128/,
    },
    {
      prop: 'providers',
      props: { providers: ['ec2', 'gce'] },
      message: /providers: unknown provider plugin "gce" \(known: ec2, process, infrakit\)/,
    },
    {
      prop: 'providers',
      props: { providers: ['process'] },
      message: /providers: process cannot run in a deployed stack.*deployable: ec2/,
    },
    {
      prop: 'providers',
      props: { providers: [] },
      message: /providers must name at least one/,
    },
    {
      prop: 'launchGuardrails',
      props: { launchGuardrails: { vpcIds: ['subnet-0abc1234'] } },
      message: /launchGuardrails is invalid.*launchGuardrails\.vpcIds\[0\]: must be a VPC id/,
    },
    {
      prop: 'launchGuardrails',
      props: { launchGuardrails: { imageOwners: [] } },
      message: /launchGuardrails\.imageOwners/,
    },
    {
      prop: 'launchGuardrails',
      props: {
        launchGuardrails: { requireImdsV2: true } as unknown as InfraKitControllerProps['launchGuardrails'],
      },
      message: /launchGuardrails is invalid/,
    },
  ])('rejects a bad $prop with an error naming it', ({ props, message }) => {
    expect(build({ handlerEntries: { api: STUB_HANDLER }, ...props })).toThrow(message);
  });

  it('accepts ids of letters, digits and . _ : - up to 128 characters', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    for (const [i, controllerId] of ['a', 'platform:prod.eu-1', 'A_b-9', 'x'.repeat(128)].entries()) {
      const controller = new InfraKitController(new Stack(app, `S${i}`), 'Controller', {
        handlerEntries: STUB_ENTRIES,
        controllerId,
      });
      expect(controller.controllerId).toBe(controllerId);
    }
  });

  it('names the construct path in the error', () => {
    expect(build({ sweepInterval: Duration.seconds(5) })).toThrow(/^S\/Controller: /);
  });
});

describe('non-default props', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthStack({
      props: {
        sweepInterval: Duration.minutes(5),
        reconcileTimeout: Duration.minutes(10),
        deletionProtection: false,
        tableRemovalPolicy: RemovalPolicy.DESTROY,
        logLevel: 'DEBUG',
        apiThrottle: { rateLimit: 5, burstLimit: 10 },
      },
    });
  });
  afterAll(() => synth.cleanup());

  it('let the table be deleted with the stack when asked', () => {
    synth.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
  });

  it('set the sweep rate, its timeout and how long a missed sweep stays worth running', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('sweep'),
      Timeout: 600,
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 300 });
  });

  it('pass the log level to every handler and the throttle to the stage', () => {
    const fns = Object.values(synth.template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Runtime === 'nodejs24.x',
    );
    expect(fns).toHaveLength(3);
    for (const f of fns) expect(f.Properties.Environment.Variables.LOG_LEVEL).toBe('DEBUG');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });
});
