import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import {
  ErrorResponseSchema,
  EventPageSchema,
  GroupDocumentSchema,
  GroupListSchema,
  HistoryPageSchema,
  PretendResponseSchema,
  ReconcileRequestedSchema,
  ReconcileResultSchema,
  StoredGroupSchema,
} from '../../src/api/schemas.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { Ec2Provider } from '../../src/providers/ec2/index.js';
import { InfrakitPlugins, InfrakitProvider } from '../../src/providers/infrakit/index.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { apiEvent, bodyOf } from './api-event.js';
import { type ApiHarness, cattle, createHarness, startServer } from './harness.js';

let server: DynamoTestServer;
let h: ApiHarness;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  h = await createHarness(server);
});

async function put(id: string, body: unknown, headers: Record<string, string> = {}) {
  return h.api(apiEvent('PUT', `/groups/${id}`, { body: body as object, headers }));
}

function expectError(result: { statusCode?: number; body?: string }, status: number, code: string) {
  expect(result.statusCode).toBe(status);
  const body = ErrorResponseSchema.parse(bodyOf(result));
  expect(body.error.code).toBe(code);
  return body.error;
}

describe('PUT /groups/{id}', () => {
  it('creates a group with defaults filled in, returns 201 with ETag and asks for a reconcile', async () => {
    const res = await put('web', cattle('web', 2));
    expect(res.statusCode).toBe(201);
    const body = StoredGroupSchema.parse(bodyOf(res));
    expect(body.version).toBe(1);
    expect(res.headers?.etag).toBe(body.etag);
    expect(res.headers?.location).toBe('/groups/web');
    expect(body.spec.update.maxSurge).toBe(1);
    expect(h.reconcileRequests).toEqual([{ groupIds: ['web'], reason: 'group created' }]);
    expect((await h.store.getGroup('web'))?.version).toBe(1);
  });

  it('accepts YAML by Content-Type and takes the id from the path when the body has none', async () => {
    const yaml = 'allocation:\n  size: 3\ninstance:\n  provider: fake\n';
    const res = await put('from-yaml', yaml, { 'content-type': 'application/x-yaml' });
    expect(res.statusCode).toBe(201);
    expect(StoredGroupSchema.parse(bodyOf(res)).spec).toMatchObject({
      id: 'from-yaml',
      allocation: { size: 3 },
    });
  });

  it('accepts an InfraKit-format group, base64-encoded, without a Content-Type', async () => {
    const infrakit = {
      ID: 'legacy',
      Properties: {
        Allocation: { Size: 1 },
        Instance: { Plugin: 'instance-process', Properties: { command: '/bin/sleep', args: ['60'] } },
        Flavor: { Plugin: 'flavor-vanilla', Properties: { Init: ['echo hi'] } },
      },
    };
    const res = await h.api(
      apiEvent('PUT', '/groups/legacy', { body: JSON.stringify(infrakit), base64: true }),
    );
    expect(res.statusCode).toBe(201);
    const { spec } = StoredGroupSchema.parse(bodyOf(res));
    expect(spec.instance.provider).toBe('process');
    expect(spec.flavor.properties).toMatchObject({ init: ['echo hi'] });
  });

  it('answers 400 naming each InfraKit field that cannot be mapped, writing nothing', async () => {
    const infrakit = {
      ID: 'legacy',
      Properties: {
        Allocation: { Size: 2 },
        Instance: {
          Plugin: 'aws/ec2-instance',
          Properties: {
            RunInstancesInput: {
              ImageId: 'ami-0c55b159cbfafe1f0',
              InstanceType: 't3.micro',
              UserData: 'IyEvYmluL3NoCmVjaG8gaGk=',
              Placement: { AvailabilityZone: 'us-east-1a' },
            },
          },
        },
        Flavor: { Plugin: 'flavor-vanilla', Properties: { Attachments: [{ ID: 'vol1', Type: 'ebs' }] } },
      },
    };
    const before = await h.scan();
    const err = expectError(await put('legacy', infrakit), 400, 'invalid-spec');
    const run = 'Properties.Instance.Properties.RunInstancesInput';
    expect(err.issues).toEqual([
      { path: `${run}.UserData`, message: expect.stringMatching(/^cannot be mapped: .*Init/) },
      { path: `${run}.Placement`, message: expect.stringMatching(/^cannot be mapped: /) },
      {
        path: 'Properties.Flavor.Properties.Attachments',
        message: expect.stringMatching(/^cannot be mapped: /),
      },
    ]);
    expect(err.message).toContain(`${run}.UserData: cannot be mapped`);
    expect(await h.scan()).toBe(before);
    expect(h.reconcileRequests).toEqual([]);
  });

  it('refuses loadBalancers on a provider that does not register targets, naming the field, writing nothing', async () => {
    const before = await h.scan();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
    const err = expectError(
      await put('web', cattle('web', 2, { loadBalancers: { targetGroupArns: [arn] } })),
      400,
      'invalid-spec',
    );
    expect(err.issues).toEqual([
      {
        path: 'loadBalancers',
        message: expect.stringMatching(/provider fake does not register instances in load balancers/),
      },
    ]);
    const noArn = expectError(
      await put('web', cattle('web', 2, { loadBalancers: { targetGroupArns: ['tg-web'] } })),
      400,
      'invalid-spec',
    );
    expect(noArn.issues?.map((i) => i.path)).toEqual(['loadBalancers.targetGroupArns.0']);
    const source = expectError(
      await put('web', cattle('web', 2, { health: { sources: ['ec2-status', 'target-group'] } })),
      400,
      'invalid-spec',
    );
    expect(source.issues).toEqual([
      { path: 'health.sources', message: expect.stringMatching(/needs loadBalancers/) },
    ]);
    expect(await h.scan()).toBe(before);
    expect(h.reconcileRequests).toEqual([]);
  });

  it('refuses an id in the body that differs from the path, writing nothing', async () => {
    const before = await h.scan();
    const err = expectError(await put('web', cattle('other')), 400, 'invalid-spec');
    expect(err.issues?.map((i) => i.path)).toEqual(['id']);
    expect(await h.scan()).toBe(before);
  });

  it('names every invalid field, including the provider and flavor properties (prefixed)', async () => {
    const spec = {
      id: 'bad',
      allocation: { size: 1 },
      instance: { provider: 'process', properties: { args: 'not-a-list' } },
      flavor: { kind: 'vanilla', properties: { init: 'echo' } },
    };
    const err = expectError(await put('bad', spec), 400, 'invalid-spec');
    const paths = err.issues?.map((i) => i.path) ?? [];
    expect(paths.some((p) => p.startsWith('instance.properties.'))).toBe(true);
    expect(paths).toContain('flavor.properties.init');
    const both = expectError(
      await put('bad', { ...cattle('bad'), allocation: { size: 1, logicalIds: ['a'] } }),
      400,
      'invalid-spec',
    );
    expect(both.message).toMatch(/exactly one of size or logicalIds/);
    const unknown = expectError(
      await put('bad', { ...cattle('bad'), instance: { provider: 'nope' } }),
      400,
      'invalid-spec',
    );
    expect(unknown.issues).toEqual([
      { path: 'instance.provider', message: expect.stringMatching(/unknown provider nope/) },
    ]);
    expect(await h.store.getGroup('bad')).toBeUndefined();
  });

  it('honours If-Match and If-None-Match, answering 412 without writing', async () => {
    const created = StoredGroupSchema.parse(bodyOf(await put('web', cattle('web', 2))));
    const before = await h.scan();
    expectError(await put('web', cattle('web', 3), { 'if-match': '"stale"' }), 412, 'precondition-failed');
    expectError(await put('web', cattle('web', 3), { 'if-none-match': '*' }), 412, 'precondition-failed');
    expectError(
      await put('nope', cattle('nope', 3), { 'if-match': created.etag }),
      412,
      'precondition-failed',
    );
    expect(await h.scan()).toBe(before);
    const ok = await put('web', cattle('web', 3), { 'if-match': created.etag });
    expect(ok.statusCode).toBe(200);
    expect(StoredGroupSchema.parse(bodyOf(ok)).version).toBe(2);
  });

  it('writes nothing when the spec is unchanged', async () => {
    await put('web', cattle('web', 2));
    const before = await h.scan();
    const res = await put('web', { ...cattle('web', 2), update: { maxSurge: 1 } });
    expect(res.statusCode).toBe(200);
    expect(StoredGroupSchema.parse(bodyOf(res)).version).toBe(1);
    expect(await h.scan()).toBe(before);
    expect(h.reconcileRequests).toHaveLength(1);
  });

  it('returns the plan against the live instances with ?pretend=true and writes nothing', async () => {
    const before = await h.scan();
    const res = await h.api(
      apiEvent('PUT', '/groups/web', { body: cattle('web', 3), query: { pretend: 'true' } }),
    );
    expect(res.statusCode).toBe(200);
    const { plan } = PretendResponseSchema.parse(bodyOf(res));
    expect(plan.actions).toEqual([{ kind: 'launch', count: 3, reason: 'scale-up' }]);
    expect(plan.summary).not.toBe('');
    expect(await h.scan()).toBe(before);
    expect(h.provider.calls.provision).toHaveLength(0);
    expect(h.reconcileRequests).toHaveLength(0);
  });
});

describe('PUT refuses what EC2 would refuse at launch', () => {
  /** The API with the EC2 provider registered, for its validation only (nothing launches here). */
  function ec2Api() {
    const ec2 = new Ec2Provider({
      client: async () => {
        throw new Error('no EC2 call expected');
      },
    });
    return createApi({
      store: h.store,
      engine: h.engine,
      providers: new Map([['ec2', ec2]]),
      flavors: new Map([['vanilla', vanillaFlavor]]),
      requestReconcile: async () => {},
    });
  }

  const tags = (n: number, prefix: string) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

  function ec2Spec(id: string, flavor: Record<string, unknown>, instanceTags: Record<string, string> = {}) {
    return {
      id,
      allocation: { size: 1 },
      instance: {
        provider: 'ec2',
        properties: { imageId: 'ami-12c6146b', instanceType: 't3.micro', tags: instanceTags },
      },
      flavor: { kind: 'vanilla', properties: flavor },
    };
  }

  async function putEc2(id: string, body: unknown) {
    return ec2Api()(apiEvent('PUT', `/groups/${id}`, { body: body as object }));
  }

  it('more tags than EC2 allows once the controller adds its own: 400 naming the flavor tags', async () => {
    const before = await h.scan();
    const err = expectError(
      await putEc2('web', ec2Spec('web', { tags: tags(30, 'f') }, tags(20, 'p'))),
      400,
      'invalid-spec',
    );
    expect(err.issues).toEqual([
      {
        path: 'flavor.properties.tags',
        message: expect.stringMatching(/^55 tags on each instance.*EC2 allows/),
      },
    ]);
    expect(await h.scan()).toBe(before);
    // Within the limit it is stored.
    expect((await putEc2('web', ec2Spec('web', { tags: tags(25, 'f') }, tags(20, 'p')))).statusCode).toBe(
      201,
    );
  });

  it('an init script over EC2’s 16 KB of user data: 400 naming flavor.properties.init', async () => {
    const init = Array.from({ length: 17 }, () => `echo ${'x'.repeat(1_019)}`);
    const err = expectError(await putEc2('web', ec2Spec('web', { init })), 400, 'invalid-spec');
    expect(err.issues).toEqual([
      {
        path: 'flavor.properties.init',
        message: expect.stringMatching(/user data is limited to 16384 bytes/),
      },
    ]);
    expect(await h.store.getGroup('web')).toBeUndefined();
  });

  it('an aws: key in the flavor tags: 400 naming the key, on any provider', async () => {
    const err = expectError(
      await put(
        'web',
        cattle('web', 1, { flavor: { kind: 'vanilla', properties: { tags: { 'aws:owner': 'me' } } } }),
      ),
      400,
      'invalid-spec',
    );
    expect(err.issues).toEqual([
      { path: 'flavor.properties.tags.aws:owner', message: 'aws:* tags are reserved by AWS' },
    ]);
    expect(await h.store.getGroup('web')).toBeUndefined();
  });
});

describe('PUT while a plugin the spec names is down', () => {
  /** The API with the real InfraKit provider, whose plugins folder holds no plugin at all. */
  function pluginApi() {
    const plugins = new InfrakitPlugins({
      pluginsDir: join(tmpdir(), 'infrakit-no-plugins-here'),
      callTimeoutMs: 500,
    });
    return createApi({
      store: h.store,
      engine: h.engine,
      providers: new Map([['infrakit', new InfrakitProvider({ objects: ['simulator/compute'], plugins })]]),
      flavors: new Map([['vanilla', vanillaFlavor]]),
      requestReconcile: async () => {},
    });
  }

  it('answers 503 with Retry-After, naming the properties it could not check and the plugin, writing nothing', async () => {
    const before = await h.scan();
    const spec = {
      id: 'sim',
      allocation: { size: 2 },
      instance: { provider: 'infrakit', properties: { plugin: 'simulator/compute' } },
      flavor: { kind: 'vanilla', properties: {} },
    };
    const result = await pluginApi()(apiEvent('PUT', '/groups/sim', { body: spec }));
    const err = expectError(result, 503, 'check-unavailable');
    expect(err.issues).toEqual([
      {
        path: 'instance.properties',
        message: expect.stringMatching(
          /^could not be checked: infrakit plugin simulator\/compute .*is it running/,
        ),
      },
    ]);
    expect(result.headers?.['retry-after'] ?? result.headers?.['Retry-After']).toBe('5');
    expect(await h.scan()).toBe(before);
  });

  it('still answers 400 for a field the controller refuses by itself, without asking the plugin', async () => {
    const spec = {
      id: 'sim',
      allocation: { size: 2 },
      instance: { provider: 'infrakit', properties: { plugin: 'simulator/disk' } },
      flavor: { kind: 'vanilla', properties: {} },
    };
    const err = expectError(
      await pluginApi()(apiEvent('PUT', '/groups/sim', { body: spec })),
      400,
      'invalid-spec',
    );
    expect(err.issues?.[0]?.path).toBe('instance.properties.plugin');
  });
});

describe('POST /groups/{id}/reconcile as deployed (the API function holds no launch rights)', () => {
  it('asks the reconciler, retrying standing rejections, and answers 202 without calling the provider', async () => {
    const deployed = await createHarness(server, { inlineReconcile: false });
    await deployed.api(apiEvent('PUT', '/groups/web', { body: cattle('web', 2) as object }));
    deployed.reconcileRequests.length = 0;
    deployed.provider.resetCalls();
    const rec = await deployed.api(apiEvent('POST', '/groups/web/reconcile'));
    expect(rec.statusCode).toBe(202);
    expect(ReconcileRequestedSchema.parse(bodyOf(rec))).toMatchObject({ groupId: 'web', requested: true });
    expect(deployed.reconcileRequests).toEqual([
      { groupIds: ['web'], reason: 'reconcile requested', options: { retryRejected: true } },
    ]);
    expect(deployed.provider.calls.provision).toEqual([]);
    expect(deployed.provider.calls.describe).toEqual([]);
    expect(deployed.provider.ofGroup('web')).toEqual([]);
    // An unknown group is still a 404, and asks for nothing.
    expectError(await deployed.api(apiEvent('POST', '/groups/nope/reconcile')), 404, 'not-found');
    expect(deployed.reconcileRequests).toHaveLength(1);
  });
});

describe('GET /groups/{id}?explain=true', () => {
  it("adds the planner's reasoning per instance; without it the status lists only what is held back", async () => {
    await put('web', cattle('web', 2));
    await h.api(apiEvent('POST', '/groups/web/reconcile'));
    const plain = GroupDocumentSchema.parse(bodyOf(await h.api(apiEvent('GET', '/groups/web'))));
    expect(plain.status.holds).toEqual([]);
    expect(plain.status.explain).toBeUndefined();
    const res = await h.api(apiEvent('GET', '/groups/web', { query: { explain: 'true' } }));
    const doc = GroupDocumentSchema.parse(bodyOf(res));
    expect(doc.status.explain?.map((v) => v.decision)).toEqual(['keep', 'keep']);
    expect(doc.status.explain?.map((v) => v.id)).toEqual(doc.status.instances.map((i) => i.id).sort());
  });

  it('refuses an explain that is not true or false with 400 naming the parameter', async () => {
    await put('web', cattle('web', 1));
    const err = expectError(
      await h.api(apiEvent('GET', '/groups/web', { query: { explain: 'yes' } })),
      400,
      'invalid-request',
    );
    expect(err.issues).toEqual([{ path: 'explain', message: 'must be true or false' }]);
  });
});

describe('group lifecycle', () => {
  it('reconciles, reports status, resizes, keeps history and rolls back', async () => {
    await put('web', cattle('web', 2));
    const rec = await h.api(apiEvent('POST', '/groups/web/reconcile'));
    expect(rec.statusCode).toBe(200);
    expect(ReconcileResultSchema.parse(bodyOf(rec))).toMatchObject({ outcome: 'acted', launched: 2 });

    const got = await h.api(apiEvent('GET', '/groups/web'));
    const doc = GroupDocumentSchema.parse(bodyOf(got));
    expect(doc.status.instances).toHaveLength(2);
    expect(doc.status.instances.every((i) => i.health === 'healthy')).toBe(true);
    expect(doc.status.converged).toBe(true);
    expect(got.headers?.etag).toBe(doc.etag);

    const resized = await h.api(
      apiEvent('PATCH', '/groups/web/size', { body: { size: 4 }, headers: { 'if-match': doc.etag } }),
    );
    expect(resized.statusCode).toBe(200);
    expect(StoredGroupSchema.parse(bodyOf(resized))).toMatchObject({
      version: 2,
      spec: { allocation: { size: 4 } },
    });
    expect(h.reconcileRequests.at(-1)).toEqual({ groupIds: ['web'], reason: 'size set to 4' });
    expectError(
      await h.api(
        apiEvent('PATCH', '/groups/web/size', { body: { size: 5 }, headers: { 'if-match': doc.etag } }),
      ),
      412,
      'precondition-failed',
    );

    const history = HistoryPageSchema.parse(bodyOf(await h.api(apiEvent('GET', '/groups/web/history'))));
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);

    const rolled = await h.api(apiEvent('POST', '/groups/web/rollback', { body: { version: 1 } }));
    expect(rolled.statusCode).toBe(200);
    expect(StoredGroupSchema.parse(bodyOf(rolled))).toMatchObject({
      version: 3,
      spec: { allocation: { size: 2 } },
    });
    expectError(
      await h.api(apiEvent('POST', '/groups/web/rollback', { body: { version: 9 } })),
      404,
      'not-found',
    );

    const list = GroupListSchema.parse(bodyOf(await h.api(apiEvent('GET', '/groups'))));
    expect(list.groups).toMatchObject([
      { id: 'web', version: 3, desired: 2, pets: false, lifecycle: 'active' },
    ]);
  });

  it('refuses to resize a pets group with 409', async () => {
    await put('zk', { ...cattle('zk'), allocation: { logicalIds: ['zk1', 'zk2'] } });
    const before = await h.scan();
    expectError(await h.api(apiEvent('PATCH', '/groups/zk/size', { body: { size: 3 } })), 409, 'conflict');
    expectError(
      await h.api(apiEvent('PATCH', '/groups/zk/size', { body: { size: -1 } })),
      400,
      'invalid-request',
    );
    expect(await h.scan()).toBe(before);
  });

  it('pages the event log newest first', async () => {
    await put('web', cattle('web', 3));
    await h.api(apiEvent('POST', '/groups/web/reconcile'));
    const all = EventPageSchema.parse(bodyOf(await h.api(apiEvent('GET', '/groups/web/events'))));
    expect(all.events.length).toBeGreaterThan(0);
    const times = all.events.map((e) => e.at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const first = EventPageSchema.parse(
      bodyOf(await h.api(apiEvent('GET', '/groups/web/events', { query: { limit: '1' } }))),
    );
    expect(first.events).toHaveLength(1);
    if (all.events.length > 1) {
      expect(first.next).toBeDefined();
      const second = await h.api(
        apiEvent('GET', '/groups/web/events', { query: { limit: '1', cursor: first.next ?? '' } }),
      );
      expect(EventPageSchema.parse(bodyOf(second)).events[0]).toEqual(all.events[1]);
    }
    expectError(
      await h.api(apiEvent('GET', '/groups/web/events', { query: { limit: 'x' } })),
      400,
      'invalid-request',
    );
    expectError(
      await h.api(apiEvent('GET', '/groups/web/events', { query: { cursor: 'not-a-cursor' } })),
      400,
      'invalid-request',
    );
  });

  it('destroys: 202 destroying, refuses changes meanwhile, then terminates and removes the group', async () => {
    await put('web', cattle('web', 2));
    await h.api(apiEvent('POST', '/groups/web/reconcile'));
    const del = await h.api(apiEvent('DELETE', '/groups/web'));
    expect(del.statusCode).toBe(202);
    expect(GroupDocumentSchema.parse(bodyOf(del)).lifecycle).toBe('destroying');
    expect(h.reconcileRequests.at(-1)?.groupIds).toEqual(['web']);
    expectError(await put('web', cattle('web', 5)), 409, 'conflict');
    const got = GroupDocumentSchema.parse(bodyOf(await h.api(apiEvent('GET', '/groups/web'))));
    expect(got.status.lifecycle).toBe('destroying');
    for (let i = 0; i < 5 && (await h.store.getGroup('web')); i++) await h.engine.reconcileGroup('web');
    expect(h.provider.ofGroup('web')).toHaveLength(0);
    expectError(await h.api(apiEvent('GET', '/groups/web')), 404, 'not-found');
  });

  it('frees a group: the record goes, the instances stay', async () => {
    await put('web', cattle('web', 2));
    await h.api(apiEvent('POST', '/groups/web/reconcile'));
    const res = await h.api(apiEvent('POST', '/groups/web/free'));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ id: 'web', freed: true });
    expect(await h.store.getGroup('web')).toBeUndefined();
    expect(h.provider.ofGroup('web')).toHaveLength(2);
    expect(h.provider.calls.destroy).toHaveLength(0);
  });
});

describe('protocol errors', () => {
  it('answers unknown groups and routes with 404 and wrong methods with 405 and Allow', async () => {
    expectError(await h.api(apiEvent('GET', '/groups/nope')), 404, 'not-found');
    expectError(await h.api(apiEvent('GET', '/nothing/here')), 404, 'not-found');
    expectError(await h.api(apiEvent('GET', '/groups/%E0%A4%A')), 404, 'not-found');
    const res = await h.api(apiEvent('POST', '/groups/web'));
    expectError(res, 405, 'method-not-allowed');
    expect(res.headers?.allow).toBe('DELETE, GET, PUT');
  });

  it('refuses other media types with 415 and bodies over 256 KiB with 413', async () => {
    const before = await h.scan();
    expectError(
      await put('web', JSON.stringify(cattle('web')), { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
    const huge = JSON.stringify({ ...cattle('web'), paused: false, pad: 'x'.repeat(300 * 1024) });
    expectError(await put('web', huge, { 'content-type': 'application/json' }), 413, 'payload-too-large');
    expectError(
      await put('web', '{"id": "web", ', { 'content-type': 'application/json' }),
      400,
      'invalid-spec',
    );
    expect(await h.scan()).toBe(before);
  });
});
