import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_SID } from '../../infra/lib/bus-policy.js';
import { EC2_DESCRIBE_ACTIONS, EC2_SID } from '../../src/providers/ec2/grants.js';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
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
const API = 'ControllerApiFunction';
/** The functions that run the engine and so launch and terminate. */
const RECONCILERS = ['ControllerReconcileFunction', 'ControllerEventsFunction'];
const FUNCTIONS = [API, ...RECONCILERS];
const GUARDRAILS: LaunchGuardrails = {
  vpcIds: ['vpc-0abc1234', 'vpc-0def5678'],
  imageOwners: ['amazon', '123456789012'],
  requireImdsv2: true,
  requireEncryptedVolumes: true,
};

let plain: Synthesized;
let withTargets: Synthesized;
let withRoles: Synthesized;
let guarded: Synthesized;
let template: Template;
let controllerId: string;

beforeAll(() => {
  plain = synthStack();
  withRoles = synthStack({ props: { instanceRoleArns: [ROLE_A, ROLE_B] } });
  guarded = synthStack({ props: { launchGuardrails: GUARDRAILS } });
  withTargets = synthStack({ props: { targetGroupArns: [TG_WEB] } });
  template = plain.template;
  controllerId = plain.stack.controller.controllerId;
});
afterAll(() => {
  plain.cleanup();
  withRoles.cleanup();
  guarded.cleanup();
  withTargets.cleanup();
});

const TG_WEB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';

describe('ELBv2 target groups', () => {
  it('the reconcilers register and deregister only in target groups tagged with their identity, by default', () => {
    for (const fn of RECONCILERS) {
      const s = bySid(functionStatements(template, fn), EC2_SID.targetsRegister);
      expect(actionsOf(s).sort()).toEqual([
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:RegisterTargets',
      ]);
      expect(JSON.stringify(s.Resource)).toMatch(/elasticloadbalancing:.*:targetgroup\/\*\/\*/);
      expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/infrakit.controller': controllerId } });
    }
  });

  it('only in the target groups the targetGroupArns prop names, when it names some', () => {
    for (const fn of RECONCILERS) {
      const s = bySid(functionStatements(withTargets.template, fn), EC2_SID.targetsRegister);
      expect(s.Resource).toBe(TG_WEB);
      expect(s.Condition).toBeUndefined();
    }
  });

  it('reads target health and the deregistration delay, nothing else, and the API none of it', () => {
    for (const fn of RECONCILERS) {
      const s = bySid(functionStatements(template, fn), EC2_SID.targetsRead);
      expect(actionsOf(s).sort()).toEqual([
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetHealth',
      ]);
    }
    const api = functionStatements(template, API).flatMap(actionsOf);
    expect(api.filter((a) => a.startsWith('elasticloadbalancing:'))).toEqual([]);
  });
});

const bySid = (statements: Statement[], sid: string): Statement => {
  const found = statements.filter((s) => s.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid}, found ${found.length}`);
  return found[0] as Statement;
};
const ec2Arn = (type: string, account = true, id = '*') => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ...(account ? [':', { Ref: 'AWS::AccountId' }, `:${type}/${id}`] : [`::${type}/${id}`]),
    ],
  ],
});
/** Every action the pets' statements grant. */
const PET_ACTIONS = [
  'ec2:CreateVolume',
  'ec2:CreateNetworkInterface',
  'ec2:AllocateAddress',
  'ec2:AttachVolume',
  'ec2:DetachVolume',
  'ec2:AssociateAddress',
  'ec2:ModifyNetworkInterfaceAttribute',
  'ec2:DeleteVolume',
  'ec2:DeleteNetworkInterface',
  'ec2:DisassociateAddress',
  'ec2:ReleaseAddress',
];
const isEc2Mutating = (action: string) => /^ec2:/.test(action) && !/^ec2:(Describe|Get|List)/.test(action);
const ownTags = (id: string) => ({
  StringEquals: { 'aws:RequestTag/infrakit.controller': id },
  StringLike: { 'aws:RequestTag/infrakit.group': '?*' },
  'ForAnyValue:StringEquals': { 'aws:TagKeys': ['infrakit.controller', 'infrakit.group'] },
});

describe.each(RECONCILERS)('EC2 permissions of %s', (fn) => {
  it('launch instances only with exactly this controller id and a group tag in the request', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.launchInstance);
    expect(s.Action).toBe('ec2:RunInstances');
    expect(s.Resource).toEqual(ec2Arn('instance'));
    expect(s.Condition).toEqual(ownTags(controllerId));
  });

  it('launch volumes only with exactly this controller id and a group tag in the request', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.launchVolume);
    expect(s.Action).toBe('ec2:RunInstances');
    expect(s.Resource).toEqual(ec2Arn('volume'));
    expect(s.Condition).toEqual(ownTags(controllerId));
  });

  it('let RunInstances use what it only references, never the instance or volume it creates', () => {
    const statements = functionStatements(template, fn);
    const referenced = [EC2_SID.launchImage, EC2_SID.launchNetwork, EC2_SID.launchReferenced].flatMap(
      (sid) => {
        const s = bySid(statements, sid);
        expect(s.Action).toBe('ec2:RunInstances');
        // Without guardrails these carry no condition: a tag condition would fail every launch.
        expect(s.Condition).toBeUndefined();
        return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      },
    );
    expect(referenced).toContainEqual(ec2Arn('image', false));
    expect(referenced).toContainEqual(ec2Arn('subnet'));
    expect(referenced).toContainEqual(ec2Arn('security-group'));
    expect(referenced).toContainEqual(ec2Arn('network-interface'));
    expect(referenced).not.toContainEqual(ec2Arn('instance'));
    expect(referenced).not.toContainEqual(ec2Arn('volume'));
  });

  it('tag only as part of RunInstances, with exactly this controller id', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.tagOnLaunch);
    expect(s.Action).toBe('ec2:CreateTags');
    expect(s.Resource).toEqual([ec2Arn('instance'), ec2Arn('volume')]);
    expect(s.Condition).toEqual({
      StringEquals: {
        'ec2:CreateAction': 'RunInstances',
        'aws:RequestTag/infrakit.controller': controllerId,
      },
      StringLike: { 'aws:RequestTag/infrakit.group': '?*' },
    });
  });

  it('terminate only instances whose infrakit.controller tag is exactly this controller id', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.terminateOwn);
    expect(s.Action).toEqual(['ec2:TerminateInstances', 'ec2:RebootInstances']);
    expect(s.Resource).toEqual(ec2Arn('instance'));
    expect(s.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/infrakit.controller': controllerId },
      StringLike: { 'aws:ResourceTag/infrakit.group': '?*' },
    });
  });

  it('mark for forensics only own instances, adding only infrakit.retained and removing only infrakit.group', () => {
    const s = bySid(functionStatements(template, fn), EC2_SID.retainOwn);
    expect(actionsOf(s)).toEqual(['ec2:CreateTags', 'ec2:DeleteTags']);
    expect(s.Resource).toEqual(ec2Arn('instance'));
    expect(s.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/infrakit.controller': controllerId },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['infrakit.retained', 'infrakit.group'] },
      // DeleteTags without keys deletes every tag: the request must name them.
      Null: { 'aws:TagKeys': 'false' },
    });
  });

  it('never stop, relabel or otherwise change EC2 outside those statements', () => {
    const statements = functionStatements(template, fn);
    const mutating = statements.filter((s) => actionsOf(s).some(isEc2Mutating));
    expect(mutating.map((s) => s.Sid).sort()).toEqual(
      [
        EC2_SID.launchInstance,
        EC2_SID.launchVolume,
        EC2_SID.launchImage,
        EC2_SID.launchNetwork,
        EC2_SID.launchReferenced,
        EC2_SID.tagOnLaunch,
        EC2_SID.terminateOwn,
        EC2_SID.retainOwn,
        EC2_SID.petCreateVolume,
        EC2_SID.petCreateOther,
        EC2_SID.petCreateReferenced,
        EC2_SID.petTagOnCreate,
        EC2_SID.petAttach,
        EC2_SID.petAssociate,
        EC2_SID.petDelete,
      ].sort(),
    );
    const actions = mutating.flatMap(actionsOf);
    expect(new Set(actions)).toEqual(
      new Set([
        'ec2:RunInstances',
        'ec2:CreateTags',
        'ec2:DeleteTags',
        'ec2:TerminateInstances',
        'ec2:RebootInstances',
        ...PET_ACTIONS,
      ]),
    );
  });

  it('create pet volumes, interfaces and addresses only with this controller id, a group and a logical ID in the request', () => {
    const statements = functionStatements(template, fn);
    const created = {
      StringEquals: { 'aws:RequestTag/infrakit.controller': controllerId },
      StringLike: { 'aws:RequestTag/infrakit.group': '?*', 'aws:RequestTag/infrakit.logical-id': '?*' },
    };
    const volume = bySid(statements, EC2_SID.petCreateVolume);
    expect(volume.Action).toBe('ec2:CreateVolume');
    expect(volume.Resource).toEqual(ec2Arn('volume'));
    expect(volume.Condition).toEqual(created);
    const other = bySid(statements, EC2_SID.petCreateOther);
    expect(actionsOf(other).sort()).toEqual(['ec2:AllocateAddress', 'ec2:CreateNetworkInterface']);
    expect(other.Resource).toEqual([ec2Arn('network-interface'), ec2Arn('elastic-ip')]);
    expect(other.Condition).toEqual(created);
    // What they only reference carries no tag condition, and is never what they create.
    const referenced = bySid(statements, EC2_SID.petCreateReferenced);
    expect(referenced.Condition).toBeUndefined();
    expect(referenced.Resource).toEqual([
      ec2Arn('snapshot', false),
      ec2Arn('subnet'),
      ec2Arn('security-group'),
    ]);
    const tag = bySid(statements, EC2_SID.petTagOnCreate);
    expect(tag.Condition).toEqual({
      StringEquals: {
        'ec2:CreateAction': ['CreateVolume', 'CreateNetworkInterface', 'AllocateAddress'],
        'aws:RequestTag/infrakit.controller': controllerId,
      },
    });
  });

  it('attach, associate and delete only volumes, interfaces, addresses and instances carrying this controller id', () => {
    const statements = functionStatements(template, fn);
    const own = { StringEquals: { 'aws:ResourceTag/infrakit.controller': controllerId } };
    for (const sid of [EC2_SID.petAttach, EC2_SID.petAssociate, EC2_SID.petDelete]) {
      expect(bySid(statements, sid).Condition, sid).toEqual(own);
    }
    expect(actionsOf(bySid(statements, EC2_SID.petAttach)).sort()).toEqual([
      'ec2:AttachVolume',
      'ec2:DetachVolume',
    ]);
    expect(bySid(statements, EC2_SID.petAttach).Resource).toEqual([ec2Arn('volume'), ec2Arn('instance')]);
    expect(actionsOf(bySid(statements, EC2_SID.petDelete)).sort()).toEqual([
      'ec2:DeleteNetworkInterface',
      'ec2:DeleteVolume',
      'ec2:DisassociateAddress',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ReleaseAddress',
    ]);
  });

  it('match the controller tag by exact value only, never by pattern', () => {
    for (const s of functionStatements(template, fn)) {
      for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
        for (const key of Object.keys(keys)) {
          if (key.endsWith('/infrakit.controller')) expect(operator, `${s.Sid} ${key}`).toBe('StringEquals');
        }
      }
    }
  });
});

describe.each(FUNCTIONS)('EC2 reads of %s', (fn) => {
  it('are exactly the Describe actions the runtime calls, the only statement on Resource *', () => {
    const statements = functionStatements(template, fn);
    const s = bySid(statements, EC2_SID.describe);
    expect(actionsOf(s).sort()).toEqual(
      [
        'ec2:DescribeImages',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstances',
        'ec2:DescribeSubnets',
        'ec2:DescribeVolumes',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeAddresses',
      ].sort(),
    );
    expect([...EC2_DESCRIBE_ACTIONS].sort()).toEqual(actionsOf(s).sort());
    expect(s.Resource).toBe('*');
    // The ELBv2 reads are the only other statement on *, and only where the engine runs.
    const reads = statements.filter((x) => x.Sid === EC2_SID.targetsRead);
    expect(statements.filter((x) => x.Resource === '*')).toEqual([s, ...reads]);
    for (const x of statements) {
      // No Describe* (DescribeInstanceAttribute reads user data), no service-wide wildcards.
      for (const action of actionsOf(x)) expect(action).not.toMatch(/\*/);
    }
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

  it('do not pass any role when no instance role is configured', () => {
    const statements = functionStatements(template, fn);
    expect(statements.filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([]);
  });
});

describe('the API function', () => {
  it('cannot launch, tag or terminate: it reads EC2 only', () => {
    for (const synth of [plain, withRoles, guarded]) {
      const statements = functionStatements(synth.template, API);
      expect(statements.flatMap(actionsOf).filter(isEc2Mutating)).toEqual([]);
      const ec2 = statements.flatMap(actionsOf).filter((a) => a.startsWith('ec2:'));
      expect(ec2.sort()).toEqual([...EC2_DESCRIBE_ACTIONS].sort());
    }
  });

  it('cannot pass instance roles, even when some are configured', () => {
    const statements = functionStatements(withRoles.template, API);
    expect(statements.filter((s) => actionsOf(s).includes('iam:PassRole'))).toEqual([]);
  });
});

describe.each(RECONCILERS)('instance roles for %s', (fn) => {
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
});

describe.each(RECONCILERS)('launch guardrails on %s', (fn) => {
  const vpcArn = (id: string) => ec2Arn('vpc', true, id);
  const statements = () => functionStatements(guarded.template, fn);
  const id = () => guarded.stack.controller.controllerId;

  it('require IMDSv2 on the instance resource only', () => {
    const s = bySid(statements(), EC2_SID.launchInstance);
    expect(s.Condition).toEqual({
      ...ownTags(id()),
      StringEquals: { 'aws:RequestTag/infrakit.controller': id(), 'ec2:MetadataHttpTokens': 'required' },
    });
  });

  it('require encrypted volumes on the volume resource only, launched or created for a pet', () => {
    const s = bySid(statements(), EC2_SID.launchVolume);
    expect(s.Condition).toEqual({ ...ownTags(id()), Bool: { 'ec2:Encrypted': 'true' } });
    expect(bySid(statements(), EC2_SID.petCreateVolume).Condition?.Bool).toEqual({ 'ec2:Encrypted': 'true' });
  });

  it('allow images of the given owners only, on the image resource', () => {
    const s = bySid(statements(), EC2_SID.launchImage);
    expect(s.Resource).toEqual(ec2Arn('image', false));
    expect(s.Condition).toEqual({ StringEquals: { 'ec2:Owner': ['amazon', '123456789012'] } });
  });

  it('allow only the given VPCs, by VPC ARN, on subnets, security groups and network interfaces', () => {
    const s = bySid(statements(), EC2_SID.launchNetwork);
    expect(s.Resource).toEqual([ec2Arn('subnet'), ec2Arn('security-group'), ec2Arn('network-interface')]);
    expect(s.Condition).toEqual({
      ArnEquals: { 'ec2:Vpc': [vpcArn('vpc-0abc1234'), vpcArn('vpc-0def5678')] },
    });
  });

  it('put each guardrail key on the statement of its own resource type and nowhere else', () => {
    const placed: Record<string, readonly string[]> = {
      'ec2:MetadataHttpTokens': [EC2_SID.launchInstance],
      'ec2:Encrypted': [EC2_SID.launchVolume, EC2_SID.petCreateVolume],
      'ec2:Owner': [EC2_SID.launchImage],
      'ec2:Vpc': [EC2_SID.launchNetwork, EC2_SID.petCreateReferenced],
    };
    for (const s of statements()) {
      for (const keys of Object.values(s.Condition ?? {})) {
        for (const key of Object.keys(keys)) {
          if (key in placed) expect(placed[key], key).toContain(s.Sid);
        }
      }
    }
    expect(bySid(statements(), EC2_SID.launchReferenced).Condition).toBeUndefined();
  });

  it('restrict image resources to the listed AMIs when imageIds is set', () => {
    const synth = synthStack({ props: { launchGuardrails: { imageIds: ['ami-0abcdef1234567890'] } } });
    try {
      const s = bySid(functionStatements(synth.template, fn), EC2_SID.launchImage);
      expect(s.Resource).toEqual(ec2Arn('image', false, 'ami-0abcdef1234567890'));
      expect(s.Condition).toBeUndefined();
    } finally {
      synth.cleanup();
    }
  });
});

describe('EventBridge PutEvents', () => {
  const putEvents = (fn: string) =>
    functionStatements(template, fn).filter((s) => actionsOf(s).includes('events:PutEvents'));

  it('is granted to the API and both reconcilers (lifecycle notices), only on the project bus', () => {
    const bus = logicalId(template, 'AWS::Events::EventBus', 'ControllerEventBus');
    for (const fn of [API, 'ControllerReconcileFunction', 'ControllerEventsFunction']) {
      expect(putEvents(fn).map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [bus, 'Arn'] }]);
    }
  });

  it('is granted nowhere on the default bus or on *', () => {
    for (const s of allStatements(template).filter((s) => actionsOf(s).includes('events:PutEvents'))) {
      expect(s.Resource).not.toBe('*');
      expect(JSON.stringify(s.Resource)).not.toContain('event-bus/default');
    }
  });
});

describe('the project bus policy', () => {
  const roleArn = (fn: string) => {
    const fnId = logicalId(template, 'AWS::Lambda::Function', fn);
    return template.toJSON().Resources[fnId].Properties.Role as unknown;
  };
  const busStatements = () =>
    Object.values(template.findResources('AWS::Events::EventBusPolicy')).map(
      (p) => p.Properties as { EventBusName: unknown; Statement: Statement & { Principal: unknown } },
    );

  it('denies PutEvents to every principal but the API, reconcile and events roles', () => {
    const bus = logicalId(template, 'AWS::Events::EventBus', 'ControllerEventBus');
    const deny = busStatements().filter((p) => p.Statement.Effect === 'Deny');
    expect(deny).toEqual([
      {
        EventBusName: { Ref: bus },
        StatementId: `cdk-${BUS_SID.denyOthers}`,
        Statement: {
          Sid: `cdk-${BUS_SID.denyOthers}`,
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [bus, 'Arn'] },
          Condition: {
            StringNotEquals: {
              'aws:PrincipalArn': [
                roleArn(API),
                roleArn('ControllerReconcileFunction'),
                roleArn('ControllerEventsFunction'),
              ],
            },
          },
        },
      },
    ]);
  });

  it('allows PutEvents to the API, reconcile and events roles only', () => {
    const allow = busStatements().filter((p) => p.Statement.Effect === 'Allow');
    expect(allow.map((p) => [p.Statement.Action, p.Statement.Principal])).toEqual([
      [
        'events:PutEvents',
        { AWS: [roleArn(API), roleArn('ControllerReconcileFunction'), roleArn('ControllerEventsFunction')] },
      ],
    ]);
  });
});
