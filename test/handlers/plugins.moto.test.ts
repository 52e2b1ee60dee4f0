import { DescribeTasksCommand, type ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { answer, type RpcMethod } from '../../examples/ecs-plugin/rpc.js';
import { ecsTaskMethods } from '../../examples/ecs-plugin/tasks.js';
import { handler as apiHandler } from '../../lambda/api.js';
import { handler as reconcileHandler } from '../../lambda/reconcile.js';
import { GroupDocumentSchema } from '../../src/api/schemas.js';
import { resetAwsRuntime } from '../../src/runtime/aws.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { apiEvent, bodyOf } from '../api/api-event.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { ecsWorld } from '../helpers/ecs.js';
import { type HttpsPlugin, startHttpsPlugin } from '../helpers/https-plugin.js';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../helpers/lambda-invoke-server.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { lambdaContext } from './fixtures.js';

/**
 * The Lambda handlers of a stack with InfraKit plugins (the construct's `plugins` prop, as the
 * environment it sets): groups of ECS tasks on moto, kept through the example ECS plugin reached
 * as a Lambda function (the real LambdaClient; the invocation is played in this process with the
 * payload Lambda would carry) and as an HTTPS endpoint on loopback (TLS, SigV4). A plugin that
 * fails or times out never causes a task to be stopped.
 */

const REGION = 'us-east-1';
const CONTROLLER_ID = 'plugins-test-stack';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:123456789012:function:ecs-plugin`;
const savedEnv = { ...process.env };

let dynamo: DynamoTestServer;
let moto: MotoServer;
let invoke: LambdaInvokeServer;
let https: HttpsPlugin;
let ecs: ECSClient;
let network: { subnets: string[]; securityGroups: string[] };
/** What the HTTPS plugin answers with; replaced by the fault tests. */
let httpsMethods: () => Record<string, RpcMethod>;

async function tasks(cluster: string, groupId: string): Promise<string[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (arns.length === 0) return [];
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns, include: ['TAGS'] }));
  return (out.tasks ?? [])
    .filter((t) => t.desiredStatus === 'RUNNING')
    .filter((t) => {
      const tags = Object.fromEntries((t.tags ?? []).map((x) => [x.key, x.value]));
      return tags[TAG_GROUP] === groupId && tags[TAG_CONTROLLER] === CONTROLLER_ID;
    })
    .map((t) => t.taskArn ?? '')
    .sort();
}

function spec(id: string, plugin: string, size: number) {
  return {
    id,
    allocation: { size },
    instance: {
      provider: 'infrakit',
      properties: {
        plugin,
        properties: { taskDefinition: 'web', ...network, assignPublicIp: false },
      },
    },
  };
}

async function put(id: string, plugin: string, size: number) {
  const res = await apiHandler(
    apiEvent('PUT', `/groups/${id}`, { body: spec(id, plugin, size) }),
    lambdaContext(),
  );
  expect(res.statusCode, res.body).toBe(201);
}

describe.skipIf(!motoAvailable())(
  'Lambda handlers with InfraKit plugins (Lambda and HTTPS) on dynalite and moto',
  () => {
    beforeAll(async () => {
      const cert = selfSignedCertificate();
      [dynamo, moto] = await Promise.all([startDynalite(), startMoto()]);
      const world = await ecsWorld(moto.endpoint, ['via-lambda', 'via-https'], 'web');
      ecs = world.ecs;
      network = { subnets: world.properties.subnets, securityGroups: world.properties.securityGroups };

      // The plugin as its Lambda function would run it, and the same plugin behind HTTPS.
      const viaLambda = ecsTaskMethods({ client: ecs, cluster: 'via-lambda' });
      const viaHttps = ecsTaskMethods({ client: ecs, cluster: 'via-https' });
      httpsMethods = () => viaHttps;
      [invoke, https] = await Promise.all([
        startLambdaInvokeServer({ 'ecs-plugin': (event) => answer(viaLambda, event) }),
        startHttpsPlugin({
          cert,
          methods: () => httpsMethods(),
          sigv4: { service: 'execute-api', region: REGION, credentials: CREDENTIALS },
        }),
      ]);

      Object.assign(process.env, {
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        // Every client goes to an emulator, never to AWS.
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: invoke.endpoint,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        INFRAKIT_CONTROLLER_ID: CONTROLLER_ID,
        // What the construct sets for `plugins: [{ name: 'ecs', function }, { name: 'web', url, … }]`.
        INFRAKIT_PROVIDERS: 'infrakit',
        INFRAKIT_PLUGINS: JSON.stringify([
          { name: 'ecs', address: `lambda:${FUNCTION_ARN}` },
          { name: 'web', address: https.url, sigv4Service: 'execute-api', ca: cert.cert },
        ]),
      });
    });

    beforeEach(async () => {
      process.env.TABLE_NAME = await dynamo.newTable('plugins');
      httpsMethods = () => ecsTaskMethods({ client: ecs, cluster: 'via-https' });
      resetAwsRuntime();
    });

    afterAll(async () => {
      process.env = savedEnv;
      resetAwsRuntime();
      ecs?.destroy();
      await Promise.all([dynamo?.stop(), moto?.stop(), invoke?.stop(), https?.stop()]);
    });

    it('a group of ECS tasks through the Lambda plugin: launched, healed, scaled, shown; the payload is the JSON-RPC request', async () => {
      const before = invoke.invocations.length;
      await put('lam', 'ecs', 2);
      // The API observes through the plugin (Instance.Validate at PUT) and launches nothing itself.
      expect(await tasks('via-lambda', 'lam')).toEqual([]);

      expect(await reconcileHandler({}, lambdaContext())).toMatchObject({ groupsSeen: 1, results: 1 });
      const launched = await tasks('via-lambda', 'lam');
      expect(launched).toHaveLength(2);

      const payloads = invoke.invocations.slice(before).map((i) => JSON.parse(i.payload));
      expect(invoke.invocations.slice(before).every((i) => i.invocationType === 'RequestResponse')).toBe(
        true,
      );
      expect(payloads.map((p) => p.method)).toEqual(
        expect.arrayContaining([
          'Handshake.Hello',
          'Instance.Validate',
          'Instance.DescribeInstances',
          'Instance.Provision',
        ]),
      );
      const provision = payloads.find((p) => p.method === 'Instance.Provision');
      expect(provision).toMatchObject({
        jsonrpc: '2.0',
        id: expect.any(Number),
        params: {
          Type: '',
          Spec: {
            Properties: { taskDefinition: 'web', ...network },
            Tags: {
              [TAG_CONTROLLER]: CONTROLLER_ID,
              [TAG_GROUP]: 'lam',
              'infrakit.config.hash': expect.any(String),
            },
          },
        },
      });

      // A task stopped behind the controller's back is replaced by the next sweep.
      const victim = launched[0] ?? '';
      await ecs.send(new StopTaskCommand({ cluster: 'via-lambda', task: victim, reason: 'test' }));
      await reconcileHandler({}, lambdaContext());
      const healed = await tasks('via-lambda', 'lam');
      expect(healed).toHaveLength(2);
      expect(healed).not.toContain(victim);

      const resized = await apiHandler(
        apiEvent('PATCH', '/groups/lam/size', { body: { size: 1 } }),
        lambdaContext(),
      );
      expect(resized.statusCode, resized.body).toBe(200);
      await reconcileHandler({}, lambdaContext());
      const scaled = await tasks('via-lambda', 'lam');
      expect(scaled).toHaveLength(1);

      const got = await apiHandler(apiEvent('GET', '/groups/lam'), lambdaContext());
      const doc = GroupDocumentSchema.parse(bodyOf(got));
      expect(doc.status.instances.map((i) => i.id)).toEqual(scaled);
    });

    it('a plugin function that fails or times out never causes a destroy', async () => {
      await put('fragile', 'ecs', 2);
      await reconcileHandler({}, lambdaContext());
      const running = await tasks('via-lambda', 'fragile');
      expect(running).toHaveLength(2);
      // Scaled to zero: the plan would stop both tasks, if it could observe them.
      const resized = await apiHandler(
        apiEvent('PATCH', '/groups/fragile/size', { body: { size: 0 } }),
        lambdaContext(),
      );
      expect(resized.statusCode, resized.body).toBe(200);

      const working = ecsTaskMethods({ client: ecs, cluster: 'via-lambda' });
      const faults: Record<string, () => Promise<unknown>> = {
        // The function threw: Lambda answers with FunctionError Unhandled.
        crashes: async () => {
          throw new Error('ECS is throttling us');
        },
        // Lambda's own timeout: FunctionError with Sandbox.Timedout.
        'times out': async () => {
          throw Object.assign(new Error('Task timed out after 14.00 seconds'), { name: 'Sandbox.Timedout' });
        },
        // A JSON-RPC error answered by the plugin itself.
        'answers an error': async () => ({
          jsonrpc: '2.0',
          id: 1,
          error: { code: -32000, message: 'cluster gone' },
        }),
      };
      for (const [what, fault] of Object.entries(faults)) {
        invoke.setHandler('ecs-plugin', async (event) =>
          (event as { method?: string }).method === 'Instance.DescribeInstances'
            ? fault()
            : answer(working, event),
        );
        resetAwsRuntime();
        await reconcileHandler({}, lambdaContext());
        expect(await tasks('via-lambda', 'fragile'), `the plugin ${what}`).toEqual(running);
      }

      // Once it answers again, the size of zero is carried out.
      invoke.setHandler('ecs-plugin', (event) => answer(working, event));
      await reconcileHandler({}, lambdaContext());
      expect(await tasks('via-lambda', 'fragile')).toEqual([]);
    });

    it('a group of ECS tasks through the HTTPS plugin: signed, launched; its errors destroy nothing', async () => {
      await put('tls', 'web', 2);
      await reconcileHandler({}, lambdaContext());
      const launched = await tasks('via-https', 'tls');
      expect(launched).toHaveLength(2);
      expect(https.refused).toBe(0);
      expect(https.calls).toEqual(
        expect.arrayContaining(['Instance.Provision', 'Instance.DescribeInstances']),
      );

      const resized = await apiHandler(
        apiEvent('PATCH', '/groups/tls/size', { body: { size: 0 } }),
        lambdaContext(),
      );
      expect(resized.statusCode, resized.body).toBe(200);
      const working = ecsTaskMethods({ client: ecs, cluster: 'via-https' });
      httpsMethods = () => ({
        ...working,
        'Instance.DescribeInstances': async () => {
          throw new Error('describe failed');
        },
      });
      await reconcileHandler({}, lambdaContext());
      expect(await tasks('via-https', 'tls')).toEqual(launched);
    });
  },
);
