import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Effect, ManagedPolicy, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { InfraKitController } from '../../infra/lib/controller.js';
import { InfraKitStack } from '../../infra/lib/stack.js';
import { STUB_ENTRIES } from './support.js';

/** The deployable stack, not yet synthesized, so a test can add to the controller's roles first. */
function build() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new InfraKitStack(app, 'InfraKit', {
    controller: { handlerEntries: STUB_ENTRIES, instanceRoleArns: ['arn:aws:iam::123456789012:role/web'] },
  });
  return { app, stack, controller: stack.controller };
}

const ec2Instances = (stack: Stack) =>
  `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:instance/*`;

describe('the synth-time policy validation of the controller roles', () => {
  it('passes for the construct as it is, with and without guardrails', () => {
    expect(() => build().app.synth()).not.toThrow();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new InfraKitController(new Stack(app, 'Guarded'), 'Controller', {
      handlerEntries: STUB_ENTRIES,
      launchGuardrails: {
        imageIds: ['ami-0abcdef1234567890'],
        vpcIds: ['vpc-0abc1234'],
        requireImdsv2: true,
      },
    });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on an unconditioned TerminateInstances, naming the statement', () => {
    const { app, stack, controller } = build();
    controller.functions.reconcile.addToRolePolicy(
      new PolicyStatement({
        sid: 'Sloppy',
        actions: ['ec2:TerminateInstances'],
        resources: [ec2Instances(stack)],
      }),
    );
    // CDK moves a statement past the role's inline size into an overflow policy: checked all the same.
    expect(() => app.synth()).toThrow(
      /ReconcileFunction\/ServiceRole\/(DefaultPolicy|OverflowPolicy\d+).*statement Sloppy \(ec2:TerminateInstances\): mutating EC2 action ec2:TerminateInstances without a condition/,
    );
  });

  it('fails Template.fromStack too, so unit tests of an app catch it', () => {
    const { stack, controller } = build();
    controller.functions.events.addToRolePolicy(
      new PolicyStatement({ actions: ['ec2:StopInstances', 'ec2:CreateTags'], resources: ['*'] }),
    );
    expect(() => Template.fromStack(stack)).toThrow(
      /EventsFunction.*ec2:StopInstances, ec2:CreateTags without a condition/,
    );
  });

  it.each([
    [
      'an unconditioned RunInstances on instances',
      ['ec2:RunInstances'],
      'instance',
      /ec2:RunInstances without a condition/,
    ],
    ['an unconditioned RunInstances on *', ['ec2:RunInstances'], '*', /ec2:RunInstances without a condition/],
    ['a mutating EC2 pattern', ['ec2:Modify*'], '*', /ec2:Modify\* without a condition/],
    ['the * action', ['*'], '*', /grants the wildcard action \*/],
    ['a service-wide action', ['sqs:*'], '*', /grants the wildcard action sqs:\*/],
    ['iam:PassRole on *', ['iam:PassRole'], '*', /iam:PassRole on \* \(a wildcard\)/],
    [
      'dynamodb:DeleteTable',
      ['dynamodb:DeleteTable'],
      'table',
      /DynamoDB table administration \(dynamodb:DeleteTable\)/,
    ],
    ['a DynamoDB admin pattern', ['dynamodb:Update*'], 'table', /dynamodb:UpdateTable/],
    [
      'events:PutPermission',
      ['events:PutPermission'],
      'bus',
      /EventBridge bus administration \(events:PutPermission\)/,
    ],
    ['events:DeleteEventBus', ['events:DeleteEventBus'], 'bus', /events:DeleteEventBus/],
  ])('fails the synth on %s', (_name, actions, on, message) => {
    const { app, stack, controller } = build();
    const resource = {
      '*': '*',
      instance: ec2Instances(stack),
      table: controller.table.tableArn,
      bus: controller.eventBus.eventBusArn,
    }[on] as string;
    controller.functions.api.addToRolePolicy(new PolicyStatement({ actions, resources: [resource] }));
    expect(() => app.synth()).toThrow(message);
  });

  it('also fails on a conditioned statement that is still a wildcard or administration', () => {
    const { app, controller } = build();
    controller.functions.reconcile.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:DeleteTable'],
        resources: [controller.table.tableArn],
        conditions: { Bool: { 'aws:SecureTransport': 'true' } },
      }),
    );
    expect(() => app.synth()).toThrow(/dynamodb:DeleteTable/);
  });

  it('inspects separate policies and managed policies attached to the roles', () => {
    const { app, stack, controller } = build();
    const role = controller.functions.events.role;
    if (role === undefined) throw new Error('no role');
    new Policy(stack, 'Extra', {
      roles: [role],
      statements: [
        new PolicyStatement({ actions: ['iam:PassRole'], resources: ['arn:aws:iam::123456789012:role/*'] }),
      ],
    });
    role.addManagedPolicy(ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));
    role.addManagedPolicy(
      new ManagedPolicy(stack, 'Mine', {
        statements: [new PolicyStatement({ actions: ['events:RemovePermission'], resources: ['*'] })],
      }),
    );
    let message = '';
    try {
      app.synth();
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(
      /InfraKit\/Extra\/Resource.*iam:PassRole on arn:aws:iam::123456789012:role\/\* \(a wildcard\)/,
    );
    expect(message).toMatch(/managed policy .*AdministratorAccess cannot be inspected/);
    expect(message).toMatch(/InfraKit\/Mine\/Resource.*events:RemovePermission/);
  });

  it('ignores Deny statements, and roles other than the controller roles', () => {
    const { app, stack, controller } = build();
    controller.functions.api.addToRolePolicy(
      new PolicyStatement({ effect: Effect.DENY, actions: ['ec2:*'], resources: ['*'] }),
    );
    const other = new Role(stack, 'OtherRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    other.addToPolicy(new PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: ['*'] }));
    expect(() => app.synth()).not.toThrow();
  });
});
