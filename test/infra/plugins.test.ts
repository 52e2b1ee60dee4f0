import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { EcsPluginExampleStack } from '../../examples/ecs-plugin/stack.js';
import { InfraKitController, type InfraKitControllerProps } from '../../infra/lib/controller.js';
import type { InfraKitPluginProps } from '../../infra/lib/infrakit-plugins.js';
import { parseConfiguredPlugins } from '../../src/providers/infrakit/endpoints.js';
import { actionsOf, allStatements, functionStatements, STUB_ENTRIES, type Statement } from './support.js';

/**
 * The construct's `plugins` prop: the functions may invoke exactly the named plugin functions and
 * signed endpoints (never a wildcard), are told the plugins in `INFRAKIT_PLUGINS`, and the stack
 * stays clean under cdk-nag; bad props fail the synth naming the prop. And the example app, the
 * controller with the ECS task plugin, synthesizes clean.
 */

const FUNCTIONS = ['ControllerApiFunction', 'ControllerReconcileFunction', 'ControllerEventsFunction'];
const PLUGIN_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:billing-plugin';
const API_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/';
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'infrakit-plugins-cdk-'));
  dirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** A stack with one plugin function of its own, `plugins(fn)` given to the controller. */
function synth(
  plugins: (own: LambdaFunction, stack: Stack) => readonly InfraKitPluginProps[],
  props: Partial<InfraKitControllerProps> = {},
): Template {
  const app = newApp();
  const stack = new Stack(app, 'WithPlugins');
  const own = new LambdaFunction(stack, 'OwnPlugin', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({})'),
  });
  Validations.of(own).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'a test plugin',
  });
  new InfraKitController(stack, 'Controller', {
    handlerEntries: STUB_ENTRIES,
    plugins: plugins(own, stack),
    ...props,
  });
  return Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
}

const invoking = (statements: Statement[], action: string) =>
  statements.filter((s) => actionsOf(s).includes(action));

describe('the plugins prop', () => {
  it('grants lambda:InvokeFunction on exactly the named functions, to every function, and tells them the plugins', () => {
    const template = synth((own, stack) => [
      { name: 'ecs', function: own },
      {
        name: 'billing',
        function: LambdaFunction.fromFunctionArn(stack, 'Billing', PLUGIN_ARN),
        objects: ['a', 'b'],
      },
    ]);
    const ownArn = { 'Fn::GetAtt': [expect.stringMatching(/^OwnPlugin/), 'Arn'] };
    for (const fn of FUNCTIONS) {
      const grants = invoking(functionStatements(template, fn), 'lambda:InvokeFunction');
      expect(grants, fn).toEqual([
        expect.objectContaining({
          Sid: 'InvokeNamedPluginFunctions',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [ownArn, PLUGIN_ARN],
        }),
      ]);
    }
    // Nothing else anywhere in the stack may invoke a function, and nothing on a wildcard.
    const all = invoking(allStatements(template), 'lambda:InvokeFunction');
    expect(all).toHaveLength(FUNCTIONS.length);
    expect(JSON.stringify(all)).not.toContain('*');

    const env = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables)
      .filter((v) => v?.INFRAKIT_PLUGINS !== undefined);
    expect(env).toHaveLength(FUNCTIONS.length);
    for (const v of env) {
      expect(v.INFRAKIT_PROVIDERS).toBe('ec2,infrakit');
      // The ARN of the stack's own function resolves at deploy; the rest reads back as the functions read it.
      const joined = v.INFRAKIT_PLUGINS['Fn::Join'][1]
        .map((part: unknown) =>
          typeof part === 'string' ? part : 'arn:aws:lambda:eu-west-1:123456789012:function:own',
        )
        .join('');
      expect(parseConfiguredPlugins(joined, 'INFRAKIT_PLUGINS')).toEqual([
        { name: 'ecs', address: 'lambda:arn:aws:lambda:eu-west-1:123456789012:function:own' },
        { name: 'billing', address: `lambda:${PLUGIN_ARN}`, objects: ['a', 'b'] },
      ]);
    }
  });

  it('a signed HTTPS plugin: execute-api:Invoke on exactly its invokeArns; an unsigned one grants nothing', () => {
    const template = synth(() => [
      {
        name: 'api',
        url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
        sigv4Service: 'execute-api',
        invokeArns: [API_ARN],
      },
      { name: 'open', url: 'https://plugins.example.com/rpc' },
    ]);
    for (const fn of FUNCTIONS) {
      const statements = functionStatements(template, fn);
      expect(invoking(statements, 'execute-api:Invoke')).toEqual([
        expect.objectContaining({ Sid: 'InvokeNamedPluginApis', Resource: API_ARN }),
      ]);
      expect(invoking(statements, 'lambda:InvokeFunction')).toEqual([]);
    }
  });

  it('refuses, naming the prop: plain HTTP, duplicates, both or no infrakit provider, invokeArns unsigned', () => {
    const fails =
      (plugins: readonly InfraKitPluginProps[], props: Partial<InfraKitControllerProps> = {}) =>
      () =>
        synth(() => plugins, props);
    expect(fails([{ name: 'p', url: 'http://plugins.example.com/' }])).toThrow(
      /plugins\[0\]\.url: must be lambda:<function> or an https:\/\/ URL/,
    );
    expect(
      fails([
        { name: 'p', url: 'https://a.example.com/' },
        { name: 'p', url: 'https://b.example.com/' },
      ]),
    ).toThrow(/plugins\[1\]\.name: p is named twice/);
    expect(fails([{ name: 'bad name', url: 'https://a.example.com/' }])).toThrow(
      /plugins\[0\]\.name: letters, digits/,
    );
    expect(fails([{ name: 'p', url: 'https://a.example.com/', invokeArns: [API_ARN] }])).toThrow(
      /plugins\[0\]\.invokeArns needs sigv4Service/,
    );
    expect(fails([{ name: 'p', url: 'https://a.example.com/' }], { providers: ['ec2'] })).toThrow(
      /plugins are given but providers does not list infrakit/,
    );
    expect(fails([], { providers: ['ec2', 'infrakit'] })).toThrow(
      /providers: infrakit cannot run in a deployed stack \(no plugins configured/,
    );
  });
});

describe('the example app: the controller with the ECS task plugin', () => {
  const app = newApp();
  const stack = new EcsPluginExampleStack(app, 'EcsExample', { handlerEntries: STUB_ENTRIES });
  // Synth runs cdk-nag: a finding throws.
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  const pluginFn = 'EcsPluginFunction';

  it('the controller may invoke exactly the plugin function', () => {
    for (const fn of FUNCTIONS)
      expect(invoking(functionStatements(template, fn), 'lambda:InvokeFunction')).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EcsPluginFunction/), 'Arn'] },
        }),
      ]);
  });

  it("the plugin runs only the named task definition in its cluster, and stops only the controller's tasks", () => {
    const statements = functionStatements(template, pluginFn);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('RunNamedTaskDefinitionsInTheCluster')).toMatchObject({
      Action: 'ecs:RunTask',
      Resource: { Ref: expect.stringMatching(/^Web/) },
      Condition: { StringEquals: { 'aws:RequestTag/infrakit.controller': 'ecs-example' } },
    });
    expect(bySid('StopAndLabelOnlyOwnTasks')).toMatchObject({
      Action: ['ecs:StopTask', 'ecs:TagResource'],
      Condition: { StringEquals: { 'aws:ResourceTag/infrakit.controller': 'ecs-example' } },
    });
    expect(bySid('PassTaskRolesToEcsOnly')).toMatchObject({
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  });
});
