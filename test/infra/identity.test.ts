import { App, NestedStack, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraKitController, type InfraKitControllerProps } from '../../infra/lib/controller.js';
import { CONTROLLER_ID_PATTERN } from '../../infra/lib/validate-props.js';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
import { STUB_ENTRIES, type Synthesized, synthStack } from './support.js';

const app = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const controllerIn = (stack: Stack, id = 'Controller', props: InfraKitControllerProps = {}) =>
  new InfraKitController(stack, id, { handlerEntries: STUB_ENTRIES, ...props });

type Fn = { Properties: { Runtime?: string; Environment: { Variables: Record<string, unknown> } } };
const handlerVariables = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function') as Record<string, Fn>)
    .filter((f) => f.Properties.Runtime === 'nodejs24.x')
    .map((f) => f.Properties.Environment.Variables);

describe('default controller id', () => {
  it('is derived from the stack name and the construct path, and is a valid identity', () => {
    const id = controllerIn(new Stack(app(), 'InfraKit')).controllerId;
    expect(id).toMatch(/^InfraKit-Controller-[0-9a-f]{8}$/);
    expect(id).toMatch(CONTROLLER_ID_PATTERN);
  });

  it('is the same on every synth of the same stack (stable across deploys)', () => {
    const first = controllerIn(new Stack(app(), 'InfraKit')).controllerId;
    const second = controllerIn(new Stack(app(), 'InfraKit')).controllerId;
    expect(second).toBe(first);
  });

  it('differs between stacks, including stacks that differ only by stack name', () => {
    const a = controllerIn(new Stack(app(), 'InfraKit')).controllerId;
    const b = controllerIn(new Stack(app(), 'InfraKitStaging')).controllerId;
    const c = controllerIn(new Stack(app(), 'InfraKit', { stackName: 'infrakit-prod' })).controllerId;
    expect(new Set([a, b, c]).size).toBe(3);
    expect(c).toMatch(/^infrakit-prod-Controller-/);
  });

  it('differs between two controllers of one stack', () => {
    const stack = new Stack(app(), 'Platform');
    const one = controllerIn(stack, 'Blue').controllerId;
    const two = controllerIn(stack, 'Green').controllerId;
    expect(one).not.toBe(two);
  });

  it('stays valid for long names, odd construct ids and nested stacks', () => {
    const stack = new Stack(app(), 'S'.repeat(128));
    const long = controllerIn(stack, 'Con troller/with*odd ids'.repeat(5)).controllerId;
    expect(long).toMatch(CONTROLLER_ID_PATTERN);
    const nested = new NestedStack(new Stack(app(), 'Parent'), 'Nested');
    const inNested = controllerIn(nested).controllerId;
    expect(inNested).toMatch(CONTROLLER_ID_PATTERN);
    expect(inNested).toMatch(/^Parent-Nested-Controller-/);
  });
});

describe('controller id and guardrails in the deployed stack', () => {
  const GUARDRAILS: LaunchGuardrails = { vpcIds: ['vpc-0abc1234'], requireImdsv2: true };
  let plain: Synthesized;
  let custom: Synthesized;
  beforeAll(() => {
    plain = synthStack();
    custom = synthStack({ props: { controllerId: 'platform:prod.eu-1', launchGuardrails: GUARDRAILS } });
  });
  afterAll(() => {
    plain.cleanup();
    custom.cleanup();
  });

  it('is exposed on the construct and as the ControllerId output', () => {
    const id = plain.stack.controller.controllerId;
    expect(id).toMatch(/^InfraKit-Controller-/);
    plain.template.hasOutput('ControllerId', { Value: id });
    custom.template.hasOutput('ControllerId', { Value: 'platform:prod.eu-1' });
  });

  it('reaches every function as INFRAKIT_CONTROLLER_ID', () => {
    const vars = handlerVariables(plain.template);
    expect(vars).toHaveLength(3);
    for (const v of vars) expect(v.INFRAKIT_CONTROLLER_ID).toBe(plain.stack.controller.controllerId);
    for (const v of handlerVariables(custom.template))
      expect(v.INFRAKIT_CONTROLLER_ID).toBe('platform:prod.eu-1');
  });

  it('tells every function which provider plugins to build: the ones whose grants it gave', () => {
    for (const v of handlerVariables(plain.template)) expect(v.INFRAKIT_PROVIDERS).toBe('ec2');
  });

  it('hands the guardrails to every function as JSON, and nothing when there are none', () => {
    const vars = handlerVariables(custom.template);
    expect(vars).toHaveLength(3);
    for (const v of vars) expect(JSON.parse(String(v.INFRAKIT_LAUNCH_GUARDRAILS))).toEqual(GUARDRAILS);
    for (const v of handlerVariables(plain.template))
      expect(v).not.toHaveProperty('INFRAKIT_LAUNCH_GUARDRAILS');
  });

  it('uses a given id in the IAM conditions', () => {
    const text = JSON.stringify(custom.template.findResources('AWS::IAM::Policy'));
    expect(text).toContain('"aws:RequestTag/infrakit.controller":"platform:prod.eu-1"');
    expect(text).toContain('"aws:ResourceTag/infrakit.controller":"platform:prod.eu-1"');
    expect(text).not.toContain(plain.stack.controller.controllerId);
  });
});
