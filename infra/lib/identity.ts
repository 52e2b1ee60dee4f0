import { createHash } from 'node:crypto';
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The default controller identity of `scope`: `<stack name>-<path in the stack>-<hash>`, e.g.
 * `InfraKit-Controller-1a2b3c4d`. Deterministic (the same stack deploys the same id every time) and
 * unique where it matters: CloudFormation stack names are unique per account and region (EC2's own
 * scope), and the construct path separates several controllers in one stack. The hash covers both
 * in full, so trimming or dropping characters for the readable part cannot make two ids equal.
 * Matches `CONTROLLER_ID_PATTERN` (at most 114 characters).
 */
export function defaultControllerId(scope: IConstruct): string {
  let stack = Stack.of(scope);
  // A nested stack's name is a token; its top-level stack's name is not.
  while (stack.nestedStackParent !== undefined) stack = stack.nestedStackParent;
  const stackName = Token.isUnresolved(stack.stackName) ? stack.node.path : stack.stackName;
  const path = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  const hash = createHash('sha256')
    .update([stackName, ...path].join('/'))
    .digest('hex')
    .slice(0, 8);
  const readable = (text: string, max: number) =>
    text
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, max)
      .replace(/-$/, '');
  return [readable(stackName, 64), readable(path.join('-'), 40), hash].filter((p) => p !== '').join('-');
}
