import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import { ErrorResponseSchema } from '../../src/api/schemas.js';
import { SpecValidationError } from '../../src/errors.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { Ec2Provider, type LaunchGuardrails } from '../../src/providers/ec2/index.js';
import { launchGuardrails } from '../../src/providers/ec2/plugin.js';
import { createEngine } from '../../src/reconcile/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import { apiEvent, bodyOf } from '../api/api-event.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { AMI, createNetwork, ec2Client, type TestNetwork } from './ec2-fixtures.js';

/**
 * Launch guardrails: what the properties alone show is refused by `validate` (so by the API and
 * the engine alike); a subnet's VPC and an image's owner are asked of EC2 when a spec is submitted.
 */

const inline = { imageId: AMI, instanceType: 't3.micro' };

function issuesOf(guardrails: LaunchGuardrails, properties: Record<string, unknown>) {
  try {
    new Ec2Provider({ client: async () => ({ send: async () => ({}) }) as never, guardrails }).validate(
      properties,
    );
    return [];
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    return err.issues.map((i) => i.path);
  }
}

describe('ec2 launch guardrails in validate (pure)', () => {
  it.each([
    ['no guardrails: anything valid passes', {}, inline, []],
    ['an image outside imageIds', { imageIds: ['ami-0123456789abcdef0'] }, inline, ['imageId']],
    ['an allowed image', { imageIds: [AMI] }, inline, []],
    [
      'a launch template where images are limited (its image is unknown before launch)',
      { imageOwners: ['amazon'] },
      { launchTemplate: { id: 'lt-0abc12345678def90' } },
      ['imageId'],
    ],
    ['no subnets where VPCs are limited', { vpcIds: ['vpc-0abc12345678def90'] }, inline, ['subnetIds']],
    [
      'IMDSv1 allowed where IMDSv2 is required',
      { requireImdsv2: true },
      { ...inline, metadataOptions: { httpTokens: 'optional' } },
      ['metadataOptions.httpTokens'],
    ],
    ['IMDSv2 by default', { requireImdsv2: true }, inline, []],
    [
      'an unencrypted volume where encryption is required',
      { requireEncryptedVolumes: true },
      {
        ...inline,
        blockDeviceMappings: [
          { deviceName: '/dev/xvda', ebs: { volumeSize: 8, encrypted: true } },
          { deviceName: '/dev/xvdb', ebs: { volumeSize: 8 } },
        ],
      },
      ['blockDeviceMappings.1.ebs.encrypted'],
    ],
  ] as const)('%s', (_name, guardrails, properties, paths) => {
    expect(issuesOf(guardrails as LaunchGuardrails, properties)).toEqual(paths);
  });
});

let moto: MotoServer;
let dynamo: DynamoTestServer;
let raw: EC2Client;
let net: TestNetwork;
let other: TestNetwork;

describe.runIf(motoAvailable())('ec2 launch guardrails at PUT, checked against EC2 (moto)', () => {
  beforeAll(async () => {
    [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
    raw = ec2Client(moto.endpoint);
    net = await createNetwork(raw);
    other = await createNetwork(raw);
  });
  afterAll(async () => {
    raw?.destroy();
    await Promise.all([moto?.stop(), dynamo?.stop()]);
  });

  async function apiWith(guardrails: LaunchGuardrails) {
    const store = new DynamoGroupStore({
      client: dynamo.client(),
      tableName: await dynamo.newTable('guard'),
    });
    const provider = new Ec2Provider({ client: ec2Client(moto.endpoint), guardrails });
    const providers = new Map([['ec2', provider]]);
    const flavors = new Map([['vanilla', vanillaFlavor]]);
    const engine = createEngine({
      store,
      providers,
      flavors,
      owner: 'guard',
      controllerId: TEST_CONTROLLER_ID,
    });
    const api = createApi({ store, engine, providers, flavors, requestReconcile: async () => {} });
    const put = (subnetIds: string[], imageId = AMI) =>
      api(
        apiEvent('PUT', '/groups/web', {
          body: {
            allocation: { size: 1 },
            instance: { provider: 'ec2', properties: { imageId, instanceType: 't3.micro', subnetIds } },
          },
        }),
      );
    return { store, put };
  }

  it('refuses a subnet of another VPC with 400 naming it, and stores nothing', async () => {
    const { store, put } = await apiWith({ vpcIds: [net.vpcId] });
    const refused = await put([net.subnets[0]?.id ?? '', other.subnets[0]?.id ?? '']);
    expect(refused.statusCode).toBe(400);
    const { error } = ErrorResponseSchema.parse(bodyOf(refused));
    expect(error.issues).toEqual([
      {
        path: 'instance.properties.subnetIds.1',
        message: expect.stringContaining(
          `is in ${other.vpcId}; this controller launches only into ${net.vpcId}`,
        ),
      },
    ]);
    expect(await store.getGroup('web')).toBeUndefined();
    expect((await put(net.subnets.map((s) => s.id))).statusCode).toBe(201);
  });

  it("refuses an image of another owner with 400, and accepts the allowed owner's", async () => {
    const image = (await raw.send(new DescribeImagesCommand({ ImageIds: [AMI] }))).Images?.[0];
    const owner = image?.OwnerId ?? '';
    expect(owner).toMatch(/^\d{12}$/);
    const strangers = await apiWith({ imageOwners: ['111122223333'] });
    const refused = await strangers.put([net.subnets[0]?.id ?? '']);
    expect(refused.statusCode).toBe(400);
    expect(ErrorResponseSchema.parse(bodyOf(refused)).error.issues).toEqual([
      { path: 'instance.properties.imageId', message: expect.stringContaining(`owned by ${owner}`) },
    ]);
    expect(await strangers.store.getGroup('web')).toBeUndefined();
    const trusted = await apiWith({ imageOwners: [owner] });
    expect((await trusted.put([net.subnets[0]?.id ?? ''])).statusCode).toBe(201);
  });
});

describe('launch guardrails from the environment the construct sets', () => {
  it('reads INFRAKIT_LAUNCH_GUARDRAILS, none when unset, and names the variable when invalid', () => {
    expect(launchGuardrails({})).toEqual({});
    expect(
      launchGuardrails({ INFRAKIT_LAUNCH_GUARDRAILS: '{"requireImdsv2":true,"vpcIds":["vpc-0abc1234"]}' }),
    ).toEqual({
      requireImdsv2: true,
      vpcIds: ['vpc-0abc1234'],
    });
    expect(() => launchGuardrails({ INFRAKIT_LAUNCH_GUARDRAILS: '{"vpcIds":["default"]}' })).toThrow(
      /INFRAKIT_LAUNCH_GUARDRAILS is invalid/,
    );
    expect(() => launchGuardrails({ INFRAKIT_LAUNCH_GUARDRAILS: '{vpcIds' })).toThrow(
      /INFRAKIT_LAUNCH_GUARDRAILS is invalid: not JSON/,
    );
  });
});
