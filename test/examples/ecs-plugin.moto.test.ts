import { DescribeTasksCommand, type ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler, resetHandler } from '../../examples/ecs-plugin/handler.js';
import { InfrakitPlugins, InfrakitProvider } from '../../src/providers/infrakit/index.js';
import { lambdaInvoker } from '../../src/providers/infrakit/lambda-transport.js';
import { type ContractFixture, instanceProviderContract } from '../contract/instance-provider.js';
import { ecsWorld } from '../helpers/ecs.js';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../helpers/lambda-invoke-server.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';

/**
 * The example ECS task plugin (`examples/ecs-plugin`) on moto: its Lambda handler, invoked through
 * the real LambdaClient (a loopback server speaking Lambda's Invoke API runs it in this process),
 * passes the shared instance provider contract as the `infrakit` provider's plugin, and answers
 * bad requests in its own words.
 */

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const CLUSTER = 'contract';
const savedEnv = { ...process.env };

let moto: MotoServer;
let invoke: LambdaInvokeServer;
let ecs: ECSClient;
let properties: { taskDefinition: string; subnets: string[]; securityGroups: string[] };

async function setUp(): Promise<void> {
  moto = await startMoto();
  ({ ecs, properties } = await ecsWorld(moto.endpoint, [CLUSTER], 'worker'));
  // The function's environment, as the example construct sets it; its SDK finds moto by AWS_ENDPOINT_URL_ECS.
  Object.assign(process.env, {
    ECS_CLUSTER: CLUSTER,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_ECS: moto.endpoint,
  });
  resetHandler();
  invoke = await startLambdaInvokeServer({ 'ecs-plugin': handler });
}

function client(): InfrakitPlugins {
  return new InfrakitPlugins({
    endpoints: new Map([['ecs', { kind: 'lambda', functionName: 'ecs-plugin' }]]),
    transports: {
      invokeLambda: lambdaInvoker({ endpoint: invoke.endpoint, region: REGION, credentials: CREDENTIALS }),
    },
    callTimeoutMs: 10_000,
  });
}

async function runTask(tags: Record<string, string>): Promise<string> {
  const out = await ecs.send(
    new RunTaskCommand({
      cluster: CLUSTER,
      taskDefinition: 'worker',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: properties.subnets, securityGroups: properties.securityGroups },
      },
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    }),
  );
  return out.tasks?.[0]?.taskArn ?? '';
}

async function running(arn: string): Promise<boolean> {
  const out = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [arn] }));
  return (out.tasks ?? []).some((t) => t.desiredStatus === 'RUNNING');
}

describe.skipIf(!motoAvailable())('the example ECS task plugin on moto', () => {
  beforeAll(setUp);
  afterAll(async () => {
    process.env = savedEnv;
    resetHandler();
    ecs?.destroy();
    await Promise.all([invoke?.stop(), moto?.stop()]);
  });

  instanceProviderContract('infrakit on the ECS task plugin (Lambda)', async (): Promise<ContractFixture> => {
    const plugins = client();
    return {
      provider: new InfrakitProvider({ objects: ['ecs'], plugins }),
      validProperties: { plugin: 'ecs', properties },
      invalidProperties: [
        { value: { properties: {} }, path: 'plugin' },
        { value: { plugin: 'other' }, path: 'plugin' },
        { value: { plugin: 'ecs', properties: ['a'] }, path: 'properties' },
        { value: { plugin: 'ecs', extra: true }, path: 'extra' },
      ],
      unknownId: `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/0123456789abcdef0123456789abcdef`,
      killOutOfBand: async (id) => {
        await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: id, reason: 'out of band' }));
      },
      async untaggedInstance() {
        const id = await runTask({ 'contract.stranger': 'yes' });
        return {
          id,
          exists: () => running(id),
          remove: async () => {
            await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: id }));
          },
        };
      },
      async teardown() {},
    };
  });

  it('refuses bad properties in its own words at Validate, and an Init with no container to put it in', async () => {
    const provider = new InfrakitProvider({ objects: ['ecs'], plugins: client() });
    const refused = await provider
      .preflight({ plugin: 'ecs', properties: { ...properties, subnets: ['not-a-subnet'] } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      issues: [
        {
          path: 'properties',
          message: expect.stringMatching(/the plugin refused them: Properties\.subnets\.0/),
        },
      ],
    });
    await expect(
      client()
        .instance('ecs')
        .provision({ properties, tags: { a: 'b' }, init: 'echo hi' }),
    ).rejects.toThrow(/Properties\.container names no container/);
  });

  it('puts the Init into the named container, tags the task at launch, and labels it', async () => {
    const plugin = client().instance('ecs');
    const id = await plugin.provision({
      properties: { ...properties, container: 'app' },
      tags: { 'infrakit.group': 'init' },
      init: 'echo hi',
      logicalId: 'db1',
    });
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: CLUSTER, tasks: [id], include: ['TAGS'] }),
    );
    const task = out.tasks?.[0];
    expect(task?.overrides?.containerOverrides).toEqual([
      expect.objectContaining({ name: 'app', environment: [{ name: 'INFRAKIT_INIT', value: 'echo hi' }] }),
    ]);
    expect(task?.tags).toEqual(
      expect.arrayContaining([
        { key: 'infrakit.group', value: 'init' },
        { key: 'infrakit.logical_id', value: 'db1' },
      ]),
    );
    await plugin.label(id, { 'infrakit.protected': 'true' });
    expect(await plugin.describe({ 'infrakit.protected': 'true' })).toEqual([
      { id, logicalId: 'db1', tags: expect.objectContaining({ 'infrakit.group': 'init' }) },
    ]);
    await plugin.destroy(id, 'terminate');
    await plugin.destroy(id, 'terminate');
    expect(await running(id)).toBe(false);
  });

  it('never acts on an id outside its cluster, and answers unknown methods as JSON-RPC errors', async () => {
    const plugin = client().instance('ecs');
    await expect(
      plugin.destroy(`arn:aws:ecs:${REGION}:123456789012:task/elsewhere/abc`, 'terminate'),
    ).rejects.toThrow(/not a task of cluster contract/);
    expect(await handler({ jsonrpc: '2.0', method: 'Instance.Nope', params: {}, id: 7 })).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32601, message: 'no method Instance.Nope' },
    });
    expect(await handler('garbage')).toMatchObject({ error: { code: -32600 } });
  });
});
