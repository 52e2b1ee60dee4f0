import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as apiHandler } from '../../lambda/api.js';
import { handler as eventsHandler } from '../../lambda/events.js';
import { handler as reconcileHandler } from '../../lambda/reconcile.js';
import { GroupDocumentSchema } from '../../src/api/schemas.js';
import { resetAwsRuntime } from '../../src/runtime/aws.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { apiEvent, bodyOf } from '../api/api-event.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { fixtureEvent, lambdaContext } from './fixtures.js';

/**
 * The three Lambda handlers exactly as Lambda calls them, wired from the environment the CDK
 * stack sets, with the SDK's standard endpoint variables pointing at dynalite and moto.
 */

const AMI = 'ami-12c6146b';
let dynamo: DynamoTestServer;
let moto: MotoServer;
let ec2: EC2Client;
const savedEnv = { ...process.env };

const CONTROLLER_ID = 'lambda-test-stack';

async function liveInstances(groupId: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${TAG_GROUP}`, Values: [groupId] },
        { Name: `tag:${TAG_CONTROLLER}`, Values: [CONTROLLER_ID] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '');
}

describe.skipIf(!motoAvailable())('Lambda handlers on dynalite and moto', () => {
  beforeAll(async () => {
    [dynamo, moto] = await Promise.all([startDynalite(), startMoto()]);
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Every client goes to an emulator, never to AWS.
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EC2: moto.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      INFRAKIT_CONTROLLER_ID: CONTROLLER_ID,
    });
    resetAwsRuntime();
    ec2 = new EC2Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  // Tests run in random order: each gets its own table, so no test sees another's groups.
  beforeEach(async () => {
    process.env.TABLE_NAME = await dynamo.newTable('lambda');
    resetAwsRuntime();
  });

  afterAll(async () => {
    process.env = savedEnv;
    resetAwsRuntime();
    ec2?.destroy();
    await Promise.all([dynamo?.stop(), moto?.stop()]);
  });

  it('API → sweep → state-change event heals → untagged instance ignored → fan-out near the deadline', async () => {
    const spec = {
      allocation: { size: 2 },
      instance: { provider: 'ec2', properties: { imageId: AMI, instanceType: 't3.micro' } },
    };
    const put = await apiHandler(
      apiEvent('PUT', '/groups/web', { body: { id: 'web', ...spec } }),
      lambdaContext(),
    );
    expect(put.statusCode, put.body).toBe(201);
    // The API function asks the reconciler (an event on the bus) and launches nothing itself.
    const asked = await apiHandler(apiEvent('POST', '/groups/web/reconcile'), lambdaContext());
    expect(asked.statusCode, asked.body).toBe(202);
    expect(bodyOf(asked)).toMatchObject({ groupId: 'web', requested: true });
    expect(await liveInstances('web')).toEqual([]);

    const sweep = await reconcileHandler({}, lambdaContext());
    expect(sweep).toMatchObject({ groupsSeen: 1, results: 1, skipped: 0, fannedOutEvents: 0 });
    const launched = await liveInstances('web');
    expect(launched).toHaveLength(2);

    const victim = launched[0] ?? '';
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));
    const healed = await eventsHandler(
      fixtureEvent('aws.ec2', 'state-change-terminated', { instanceId: victim }),
      lambdaContext(),
    );
    expect(healed).toMatchObject({ action: 'reconciled', groupIds: ['web'] });
    expect(healed.outcomes[0]).toMatchObject({ outcome: 'acted', launched: 1 });
    const after = await liveInstances('web');
    expect(after).toHaveLength(2);
    expect(after).not.toContain(victim);

    const stranger = await ec2.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }));
    const strangerId = stranger.Instances?.[0]?.InstanceId ?? '';
    const ignored = await eventsHandler(
      fixtureEvent('aws.ec2', 'state-change-stopped', { instanceId: strangerId }),
      lambdaContext(),
    );
    expect(ignored).toMatchObject({ action: 'not-ours', outcomes: [] });

    // Another stack's group `web` in the same account: its events are not ours, a sweep leaves it.
    const theirs = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: TAG_CONTROLLER, Value: 'another-stack' },
              { Key: TAG_GROUP, Value: 'web' },
            ],
          },
        ],
      }),
    );
    const theirId = theirs.Instances?.[0]?.InstanceId ?? '';
    const notOurs = await eventsHandler(
      fixtureEvent('aws.ec2', 'state-change-stopped', { instanceId: theirId }),
      lambdaContext(),
    );
    expect(notOurs).toMatchObject({ action: 'not-ours', outcomes: [] });
    await reconcileHandler({}, lambdaContext());
    expect((await liveInstances('web')).sort()).toEqual([...after].sort());
    const their = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [theirId] }));
    expect(their.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');

    const got = await apiHandler(apiEvent('GET', '/groups/web'), lambdaContext());
    const doc = GroupDocumentSchema.parse(bodyOf(got));
    expect(doc.status.instances.map((i) => i.id).sort()).toEqual([...after].sort());

    // Too little time left for any group: all of them are fanned out as events.
    const late = await reconcileHandler({}, lambdaContext(4_000));
    expect(late).toMatchObject({ groupsSeen: 1, skipped: 1, fannedOutEvents: 1 });
  });

  it('Spot interruption warning: the replacement is launched on moto before the doomed instance goes', async () => {
    const spec = {
      allocation: { size: 2 },
      instance: {
        provider: 'ec2',
        properties: { imageId: AMI, instanceType: 't3.micro', spot: { interruptionBehavior: 'terminate' } },
      },
    };
    const put = await apiHandler(
      apiEvent('PUT', '/groups/spot', { body: { id: 'spot', ...spec } }),
      lambdaContext(),
    );
    expect(put.statusCode, put.body).toBe(201);
    await reconcileHandler({}, lambdaContext());
    const before = await liveInstances('spot');
    expect(before).toHaveLength(2);
    const doomed = before[0] ?? '';

    // The 2-minute notice, as EventBridge delivers it, stamped now.
    const warned = await eventsHandler(
      fixtureEvent('aws.ec2', 'spot-interruption-warning', {
        instanceId: doomed,
        time: new Date().toISOString(),
      }),
      lambdaContext(),
    );
    expect(warned).toMatchObject({
      kind: 'aws.ec2|EC2 Spot Instance Interruption Warning',
      action: 'reconciled',
      groupIds: ['spot'],
    });
    // Replacement first: it is running on moto while the doomed instance still runs.
    expect(warned.outcomes[0]).toMatchObject({ outcome: 'acted', launched: 1, terminated: 0 });
    const during = await liveInstances('spot');
    expect(during).toHaveLength(3);
    expect(during).toContain(doomed);
    const replacement = during.find((id) => !before.includes(id)) ?? '';
    expect(replacement).not.toBe('');

    // The following passes terminate the doomed instance once its replacement is available.
    for (let i = 0; i < 3 && (await liveInstances('spot')).includes(doomed); i++) {
      await reconcileHandler({}, lambdaContext());
    }
    const after = await liveInstances('spot');
    expect(after).toHaveLength(2);
    expect(after).not.toContain(doomed);
    expect(after).toContain(replacement);
  });
});
