import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { CREATE_REFERENCED_TYPES, RUN_INSTANCES_REFERENCED_TYPES } from '../../src/providers/ec2/grants.js';

/**
 * A synth-time check of every policy statement attached to the controller's roles, added to the
 * construct with `node.addValidation`, so that any app using the construct fails `cdk synth` on a
 * regression, whoever adds the statement (this package or the app, e.g. `fn.addToRolePolicy`).
 * It complements cdk-nag, whose acknowledgements are keyed by resource pattern: a new statement on
 * an acknowledged pattern (say, an unconditioned TerminateInstances on `instance/*`) passes cdk-nag
 * but not this.
 *
 * An Allow statement is an error when it:
 * - grants an action `*` or `service:*`, or uses NotAction or NotResource;
 * - grants a mutating EC2 action (any `ec2:` action not starting with Describe, Get or List) without
 *   a condition; the only exception is RunInstances on resource types it merely references
 *   ({@link RUN_INSTANCES_REFERENCED_TYPES}), because every launch is also authorized against the
 *   instance, which must then carry a condition; likewise CreateVolume and CreateNetworkInterface
 *   on what they only reference ({@link CREATE_REFERENCED_TYPES});
 * - grants `iam:PassRole` without resources or on a resource with a wildcard;
 * - grants a DynamoDB table administration action or an EventBridge bus or rule administration
 *   action (patterns such as `dynamodb:Delete*` count when they match one).
 * Managed policies other than Lambda's basic execution role cannot be inspected and are errors too.
 */

/** DynamoDB actions that change or remove the table itself rather than its items. */
export const DYNAMODB_ADMIN_ACTIONS: readonly string[] = [
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
  'UpdateTimeToLive',
  'UpdateContinuousBackups',
  'CreateBackup',
  'DeleteBackup',
  'RestoreTableFromBackup',
  'RestoreTableToPointInTime',
  'CreateGlobalTable',
  'UpdateGlobalTable',
  'UpdateGlobalTableSettings',
  'UpdateTableReplicaAutoScaling',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'TagResource',
  'UntagResource',
  'ImportTable',
  'ExportTableToPointInTime',
  'EnableKinesisStreamingDestination',
  'DisableKinesisStreamingDestination',
  'UpdateKinesisStreamingDestination',
  'UpdateContributorInsights',
].map((a) => `dynamodb:${a}`);

/** EventBridge actions that change buses, their permissions or their rules (who gets our events). */
export const EVENTS_ADMIN_ACTIONS: readonly string[] = [
  'CreateEventBus',
  'DeleteEventBus',
  'UpdateEventBus',
  'PutPermission',
  'RemovePermission',
  'PutRule',
  'DeleteRule',
  'EnableRule',
  'DisableRule',
  'PutTargets',
  'RemoveTargets',
  'TagResource',
  'UntagResource',
  'CreateArchive',
  'DeleteArchive',
  'UpdateArchive',
  'StartReplay',
].map((a) => `events:${a}`);

/** The AWS managed policies a function role may carry: logging (and VPC networking) only. */
const ALLOWED_MANAGED_POLICY = /:iam::aws:policy\/service-role\/AWSLambda(Basic|VPCAccess)ExecutionRole$/;

/** One statement as CloudFormation will have it (intrinsics resolved to their JSON form). */
interface ResolvedStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, unknown>;
}

const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * A resolved value as text, so ARNs can be matched by pattern: `Fn::Join` joined, a `Ref` as
 * `<AWSPartition>` and any other intrinsic as `<token>` (no colons, which separate ARN fields).
 */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join !== undefined) return join[1].map(flatten).join(join[0]);
    const ref = (value as { Ref?: string }).Ref;
    if (ref !== undefined) return `<${ref.replace(/[^A-Za-z0-9]/g, '')}>`;
  }
  return '<token>';
}

/** An IAM action pattern (`*`, `?` wildcards, case-insensitive) as a regular expression. */
function actionPattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const matchesAny = (pattern: string, actions: readonly string[]) => {
  const re = actionPattern(pattern);
  return actions.filter((a) => re.test(a));
};

/** The EC2 resource type of an ARN (`instance` in `arn:…:ec2:…:instance/*`), if it is one. */
function ec2ResourceType(resource: unknown): string | undefined {
  return /^arn:[^:]*:ec2:[^:]*:[^:]*:([a-z-]+)\//.exec(flatten(resource))?.[1];
}

/** What is wrong with one statement, if anything; `where` names it in each message. */
export function statementErrors(statement: ResolvedStatement, where: string): string[] {
  if (statement.Effect !== 'Allow') return [];
  const errors: string[] = [];
  const actions = list(statement.Action).map(String);
  const label = `${where} (${actions.join(', ') || 'NotAction'})`;
  const conditioned = statement.Condition !== undefined && Object.keys(statement.Condition).length > 0;
  const resources = list(statement.Resource);

  if (statement.NotAction !== undefined) errors.push(`${label}: NotAction grants every other action`);
  if (statement.NotResource !== undefined) errors.push(`${label}: NotResource grants every other resource`);
  for (const action of actions) {
    if (action === '*' || /^[a-z0-9-]+:\*$/i.test(action))
      errors.push(`${label}: grants the wildcard action ${action}`);
  }

  const ec2Mutating = actions.filter((a) => /^ec2:/i.test(a) && !/^ec2:(Describe|Get|List)/i.test(a));
  if (ec2Mutating.length > 0 && !conditioned) {
    const referenced = (action: string): readonly string[] =>
      action.toLowerCase() === 'ec2:runinstances'
        ? RUN_INSTANCES_REFERENCED_TYPES
        : (Object.entries(CREATE_REFERENCED_TYPES).find(
            ([a]) => a.toLowerCase() === action.toLowerCase(),
          )?.[1] ?? []);
    // Each action may reach every listed resource only as something it references, not creates.
    const onlyReferencedLaunch =
      resources.length > 0 &&
      ec2Mutating.every((a) => referenced(a).length > 0) &&
      resources.every((r) => ec2Mutating.some((a) => referenced(a).includes(ec2ResourceType(r) ?? '')));
    if (!onlyReferencedLaunch) {
      errors.push(
        `${label}: mutating EC2 action ${ec2Mutating.join(', ')} without a condition (require this controller's infrakit.controller tag)`,
      );
    }
  }

  if (actions.some((a) => matchesAny(a, ['iam:PassRole']).length > 0)) {
    if (resources.length === 0) errors.push(`${label}: iam:PassRole without resources`);
    for (const r of resources) {
      if (flatten(r).includes('*')) errors.push(`${label}: iam:PassRole on ${flatten(r)} (a wildcard)`);
    }
  }

  for (const [kind, admin] of [
    ['DynamoDB table administration', DYNAMODB_ADMIN_ACTIONS],
    ['EventBridge bus administration', EVENTS_ADMIN_ACTIONS],
  ] as const) {
    const granted = [...new Set(actions.flatMap((a) => matchesAny(a, admin)))];
    if (granted.length > 0) errors.push(`${label}: grants ${kind} (${granted.join(', ')})`);
  }
  return errors;
}

interface PolicyDocumentJson {
  readonly Statement?: ResolvedStatement[];
}

/**
 * Every error in the policies attached to `roles` within their stack: inline policies of the roles,
 * `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources naming them, and managed policy ARNs.
 */
export function rolePolicyErrors(roles: readonly IRole[]): string[] {
  const errors: string[] = [];
  const owned = roles.flatMap((role) => {
    const cfn = role.node.defaultChild;
    return CfnResource.isCfnResource(cfn) ? [{ role, cfn }] : [];
  });
  if (owned.length === 0) return errors;
  const stack = Stack.of(owned[0]?.cfn as CfnResource);
  const refs = new Map(
    owned.map(({ role, cfn }) => [JSON.stringify(stack.resolve(cfn.ref)), role.node.path]),
  );
  const checkDocument = (doc: unknown, where: string) => {
    const statements = (doc as PolicyDocumentJson | undefined)?.Statement ?? [];
    statements.forEach((s, i) => {
      errors.push(...statementErrors(s, `${where} statement ${s.Sid ?? `#${i}`}`));
    });
  };

  // Managed policies of this stack attached through a role's ManagedPolicyArns, by their Ref.
  const managedRefs = new Map<string, string>();
  for (const { role, cfn } of owned) {
    const props = cfn as unknown as { policies?: unknown; managedPolicyArns?: unknown };
    for (const inline of list(stack.resolve(props.policies))) {
      const p = inline as {
        policyName?: string;
        PolicyName?: string;
        policyDocument?: unknown;
        PolicyDocument?: unknown;
      };
      checkDocument(
        p.policyDocument ?? p.PolicyDocument,
        `${role.node.path} inline policy ${p.policyName ?? p.PolicyName}`,
      );
    }
    for (const arn of list(stack.resolve(props.managedPolicyArns))) {
      const text = flatten(arn);
      const local = (arn as { Ref?: string }).Ref;
      // A managed policy of this stack is checked below, with the other policy resources.
      if (local !== undefined) managedRefs.set(JSON.stringify(arn), role.node.path);
      else if (!ALLOWED_MANAGED_POLICY.test(text)) {
        errors.push(
          `${role.node.path}: managed policy ${text} cannot be inspected; attach statements instead`,
        );
      }
    }
  }

  for (const node of stack.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const type = node.cfnResourceType;
    if (type !== 'AWS::IAM::Policy' && type !== 'AWS::IAM::ManagedPolicy') continue;
    const props = node as unknown as { roles?: unknown; policyDocument?: unknown };
    const viaArn = managedRefs.get(JSON.stringify(stack.resolve(node.ref)));
    const attached = [
      ...list(stack.resolve(props.roles)).map((r) => refs.get(JSON.stringify(r))),
      viaArn,
    ].filter((p): p is string => p !== undefined);
    if (attached.length === 0) continue;
    checkDocument(stack.resolve(props.policyDocument), `${node.node.path} (on ${attached.join(', ')})`);
  }
  return errors;
}
