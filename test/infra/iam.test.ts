import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2_SID } from '../../infra/lib/ec2-permissions.js';
import {
  actionsOf,
  allStatements,
  functionStatements,
  logicalId,
  type Statement,
  type Synthesized,
  synthStack,
} from './support.js';

const ROLE_A = 'arn:aws:iam::123456789012:role/web-instances';
const ROLE_B = 'arn:aws:iam::123456789012:role/db-instances';
const FUNCTIONS = ['ControllerApiFunction', 'ControllerReconcileFunction', 'ControllerEventsFunction'];

let plain: Synthesized;
let withRoles: Synthesized;
let template: Template;

beforeAll(() => {
  plain = synthStack();
  withRoles = synthStack({ props: { instanceRoleArns: [ROLE_A, ROLE_B] } });
  template = plain.template;
});
afterAll(() => {
  plain.cleanup();
  withRoles.cleanup();
});

const bySid = (statements: Statement[], sid: string): Statement => {
  const found = statements.filter((s) => s.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid}, found ${found.length}`);
  return found[0] as Statement;
};
const ec2Arn = (type: string, account = true) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ...(account ? [':', { Ref: 'AWS::AccountId' }, `:${type}/*`] : [`::${type}/*`]),
    ],
  ],
});

describe.each(FUNCTIONS)('EC2 permissions of %s', (fn) => {
  it('launch only with the infrakit.group request tag on the instance and its volumes', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.launchTagged);
    expect(s.Action).toBe('ec2:RunInstances');
    expect(s.Resource).toEqual([ec2Arn('instance'), ec2Arn('volume')]);
    expect(s.Condition).toEqual({
      StringLike: { 'aws:RequestTag/infrakit.group': '?*' },
      'ForAnyValue:StringEquals': { 'aws:TagKeys': ['infrakit.group'] },
    });
  });

  it('let RunInstances use the resources it only references, and nothing else', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.launchReferenced);
    expect(s.Action).toBe('ec2:RunInstances');
    expect(s.Condition).toBeUndefined();
    const resources = s.Resource as unknown[];
    expect(resources).toContainEqual(ec2Arn('image', false));
    expect(resources).toContainEqual(ec2Arn('subnet'));
    expect(resources).toContainEqual(ec2Arn('security-group'));
    expect(resources).toContainEqual(ec2Arn('network-interface'));
    expect(resources).not.toContainEqual(ec2Arn('instance'));
    expect(resources).not.toContainEqual(ec2Arn('volume'));
  });

  it('tag only as part of RunInstances, or resources that already carry infrakit.group', () => {
    const statements = functionStatements(template, fn);
    const atLaunch = bySid(statements, EC2_SID.tagOnLaunch);
    expect(atLaunch.Action).toBe('ec2:CreateTags');
    expect(atLaunch.Condition).toEqual({
      StringEquals: { 'ec2:CreateAction': 'RunInstances' },
      StringLike: { 'aws:RequestTag/infrakit.group': '?*' },
    });
    const manage = bySid(statements, EC2_SID.manageTagged);
    expect(actionsOf(manage).sort()).toEqual([
      'ec2:CreateTags',
      'ec2:StopInstances',
      'ec2:TerminateInstances',
    ]);
    expect(manage.Resource).toEqual(ec2Arn('instance'));
    expect(manage.Condition).toEqual({ StringLike: { 'aws:ResourceTag/infrakit.group': '*' } });
    // No other statement may grant the mutating EC2 actions.
    const mutating = ['ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:CreateTags'];
    for (const s of statements) {
      if (actionsOf(s).some((a) => mutating.includes(a))) {
        expect(Object.values(EC2_SID)).toContain(s.Sid);
      }
    }
  });

  it('use Resource * only for ec2:Describe*, and grant no wildcard service actions', () => {
    const statements = functionStatements(template, fn);
    const star = statements.filter((s) => s.Resource === '*');
    expect(star.map((s) => s.Action)).toEqual(['ec2:Describe*']);
    for (const s of statements) {
      for (const action of actionsOf(s)) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
    }
  });

  it('do not pass any role when no instance role is configured', () => {
    const statements = functionStatements(template, fn);
    expect(statements.filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([]);
  });

  it('pass exactly the configured instance roles, to EC2 only', () => {
    const statements = functionStatements(withRoles.template, fn).filter((s) =>
      actionsOf(s).includes('iam:PassRole'),
    );
    expect(statements).toEqual([
      {
        Sid: EC2_SID.passRole,
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: [ROLE_A, ROLE_B],
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
  });

  it('reach DynamoDB only on the controller table', () => {
    const table = logicalId(template, 'AWS::DynamoDB::Table', 'ControllerTable');
    const dynamo = functionStatements(template, fn).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo.length).toBeGreaterThan(0);
    for (const s of dynamo) {
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      for (const r of resources) expect(JSON.stringify(r)).toContain(`"${table}"`);
    }
  });
});

describe('EventBridge PutEvents', () => {
  const putEvents = (fn: string) =>
    functionStatements(template, fn).filter((s) => actionsOf(s).includes('events:PutEvents'));

  it('is granted to the API and the sweep, only on the project bus', () => {
    const bus = logicalId(template, 'AWS::Events::EventBus', 'ControllerEventBus');
    for (const fn of ['ControllerApiFunction', 'ControllerReconcileFunction']) {
      expect(putEvents(fn).map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [bus, 'Arn'] }]);
    }
  });

  it('is not granted to the events function, which only consumes', () => {
    expect(putEvents('ControllerEventsFunction')).toEqual([]);
  });

  it('is granted nowhere on the default bus or on *', () => {
    for (const s of allStatements(template).filter((s) => actionsOf(s).includes('events:PutEvents'))) {
      expect(s.Resource).not.toBe('*');
      expect(JSON.stringify(s.Resource)).not.toContain('event-bus/default');
    }
  });
});
