import { App } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ROLE_ACKNOWLEDGEMENTS } from '../../infra/lib/nag.js';
import { InfraKitStack } from '../../infra/lib/stack.js';
import { STUB_ENTRIES, synthStack } from './support.js';

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in the stack (synth would throw otherwise)', () => {
    const synth = synthStack({
      nag: true,
      props: { instanceRoleArns: ['arn:aws:iam::123456789012:role/web'] },
    });
    synth.cleanup();
  });

  it('still reports a wildcard nobody acknowledged, on the same roles', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new InfraKitStack(app, 'InfraKit', { controller: { handlerEntries: STUB_ENTRIES } });
    stack.controller.functions.events.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:*'], resources: ['*'] }),
    );
    // The same check the synth runs, called directly: the acknowledgements must not hide new findings.
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual(['AwsSolutions-IAM5[Action::sqs:*]']);
  });

  it('acknowledges single findings only, each with its own specific reason', () => {
    const ids = ROLE_ACKNOWLEDGEMENTS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { id, reason } of ROLE_ACKNOWLEDGEMENTS) {
      // `Rule[finding]`: acknowledging a bare rule id would hide every future finding of that rule.
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+\[.+\]$/);
      expect(reason.length, id).toBeGreaterThanOrEqual(40);
    }
    const reasons = ROLE_ACKNOWLEDGEMENTS.map((a) => a.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
