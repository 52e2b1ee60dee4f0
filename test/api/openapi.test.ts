import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { apiRoutes, createApi } from '../../src/api/index.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { ErrorResponseSchema } from '../../src/api/schemas.js';
import type { ApiDeps } from '../../src/api/types.js';
import { ThrottledError } from '../../src/errors.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import type { Log } from '../../src/log.js';
import type { Engine } from '../../src/reconcile/types.js';
import type { GroupStore } from '../../src/store/types.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { FakeProvider } from '../helpers/fake-provider.js';
import { type ApiEventOptions, apiEvent, bodyOf } from './api-event.js';
import { type ApiHarness, cattle, createHarness, startServer } from './harness.js';

type Json = Record<string, unknown>;

function depsWith(store: Partial<GroupStore>, log?: Log): ApiDeps {
  return {
    store: store as GroupStore,
    engine: {} as Engine,
    providers: new Map([['fake', new FakeProvider()]]),
    flavors: new Map([['vanilla', vanillaFlavor]]),
    requestReconcile: async () => {},
    ...(log ? { log } : {}),
  };
}

describe('GET /openapi.json', () => {
  it('documents every route with its parameters, bodies and the error schema', async () => {
    const api = createApi(depsWith({}));
    const res = await api(apiEvent('GET', '/openapi.json'));
    expect(res.statusCode).toBe(200);
    const doc = bodyOf(res) as {
      openapi: string;
      paths: Record<string, Json>;
      components: { schemas: Record<string, Json> };
    };
    expect(doc.openapi).toMatch(/^3\.1\./);
    const schemas = doc.components.schemas;
    for (const route of apiRoutes(depsWith({}))) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as
        | { operationId?: string; responses: Record<string, Json>; requestBody?: Json }
        | undefined;
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op?.operationId).toBeTruthy();
      if (route.path !== '/openapi.json') {
        expect(JSON.stringify(op?.responses['404'])).toContain('#/components/schemas/Error');
      }
      if (['PUT', 'PATCH'].includes(route.method) || route.path.endsWith('rollback')) {
        expect(op?.requestBody).toBeDefined();
      }
    }
    // Every $ref resolves, so a client generator can follow them.
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    for (const ref of new Set(refs)) expect(schemas[ref], ref).toBeDefined();
    // PUT takes the id from the path: its body may leave it out.
    expect(schemas.PutGroupRequest?.required).toEqual(['allocation', 'instance']);
    expect(JSON.stringify(doc.paths['/groups/{id}']?.put)).toContain('#/components/schemas/PutGroupRequest');
    expect(JSON.stringify(schemas.Error)).toContain('issues');
  });
});

describe('server errors', () => {
  it('answers a real failure with a generic 500 and logs the details', async () => {
    const logged: { message: string; attributes?: Record<string, unknown> }[] = [];
    const log: Log = {
      debug() {},
      info() {},
      warn() {},
      error: (message, attributes) => logged.push({ message, ...(attributes ? { attributes } : {}) }),
    };
    const api = createApi(
      depsWith(
        {
          getGroup: async () => {
            throw new Error('connect ECONNREFUSED 10.0.0.1:443 (table secret-name)');
          },
        },
        log,
      ),
    );
    const res = await api(apiEvent('GET', '/groups/web'));
    expect(res.statusCode).toBe(500);
    const { error } = ErrorResponseSchema.parse(bodyOf(res));
    expect(error.code).toBe('internal');
    expect(error.message).not.toContain('ECONNREFUSED');
    expect(JSON.stringify(logged)).toContain('ECONNREFUSED');
  });

  it('keeps the change when the reconcile request fails, since the sweep picks the group up', async () => {
    const warned: string[] = [];
    const putSpec: GroupStore['putSpec'] = async (spec) => ({ spec, version: 1, etag: '"v1"', updatedAt: 1 });
    const api = createApi({
      ...depsWith({ getGroup: async () => undefined, putSpec }),
      requestReconcile: async () => {
        throw new Error('EventBridge unavailable');
      },
      log: { debug() {}, info() {}, error() {}, warn: (m) => warned.push(m) },
    });
    const body = { id: 'web', allocation: { size: 1 }, instance: { provider: 'fake' } };
    const res = await api(apiEvent('PUT', '/groups/web', { body }));
    expect(res.statusCode).toBe(201);
    expect(warned).toHaveLength(1);
  });
});

type OpenApiDoc = {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};
type Operation = {
  responses: Record<string, { content?: Record<string, { schema?: Json }>; headers?: Record<string, Json> }>;
  requestBody?: { content: Record<string, { schema: Json }> };
};

/** A zod validator for a schema of the document (its `$ref`s resolved against the components). */
function validatorFor(doc: OpenApiDoc, schema: Json): z.ZodType {
  const local = (value: unknown): Json =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json;
  return z.fromJSONSchema({
    ...local(schema),
    $defs: local(doc.components.schemas),
  } as z.core.JSONSchema.JSONSchema);
}

describe('the OpenAPI document matches what the API does', () => {
  let server: DynamoTestServer;
  let h: ApiHarness;
  let doc: OpenApiDoc;
  const seen = new Map<string, Set<number>>();

  beforeAll(async () => {
    server = await startServer();
    h = await createHarness(server);
    doc = openApiDocument() as OpenApiDoc;
  });
  afterAll(async () => {
    await server.stop();
  });

  const operation = (method: string, template: string) =>
    doc.paths[template]?.[method.toLowerCase()] as Operation | undefined;

  /**
   * Sends one request and checks it against the document: the status is documented for the route,
   * the body matches that response's schema (extra fields included: the schemas are closed), and
   * an accepted request body matches the documented request body.
   */
  async function call(
    method: string,
    template: string,
    id: string,
    options: ApiEventOptions & { expect: number; instanceId?: string },
  ): Promise<Json> {
    const path = template.replace('{id}', id).replace('{instanceId}', options.instanceId ?? '');
    const res = await h.api(apiEvent(method, path, options));
    const status = res.statusCode ?? 0;
    const where = `${method} ${template} → ${status}`;
    expect(status, `${where}: ${res.body?.slice(0, 500)}`).toBe(options.expect);
    const op = operation(method, template);
    const documented = op?.responses[String(status)];
    expect(documented, `${where} is not documented`).toBeDefined();
    const body = JSON.parse(res.body ?? 'null') as Json;
    const schema = documented?.content?.['application/json']?.schema;
    if (schema) {
      const result = validatorFor(doc, schema).safeParse(body);
      expect(result.success, `${where}: ${JSON.stringify(result.error?.issues.slice(0, 5))}`).toBe(true);
    }
    const etag = documented?.headers?.ETag as { required?: boolean } | undefined;
    if (etag?.required) expect(res.headers?.etag, `${where}: ETag`).toBeTruthy();
    if (status < 300 && options.body !== undefined) {
      const contentType = options.headers?.['content-type'] ?? 'application/json';
      const requestSchema = op?.requestBody?.content[contentType.split(';')[0] ?? '']?.schema;
      expect(requestSchema, `${where}: request body not documented for ${contentType}`).toBeDefined();
      const sent = typeof options.body === 'string' ? parseYaml(options.body) : options.body;
      const result = validatorFor(doc, requestSchema ?? {}).safeParse(sent);
      expect(result.success, `${where} request: ${JSON.stringify(result.error?.issues.slice(0, 5))}`).toBe(
        true,
      );
    }
    const key = `${method} ${template}`;
    seen.set(key, (seen.get(key) ?? new Set()).add(status));
    return body;
  }

  it('says what lastReconcileAt means, and a steady pass indeed leaves it alone', async () => {
    const { schemas } = doc.components;
    for (const name of ['GroupStatus', 'GroupSummary']) {
      const properties = (schemas[name]?.properties ?? {}) as Record<string, { description?: string }>;
      const field = properties.lastReconcileAt;
      expect(field?.description, name).toMatch(/changed the group's recorded state/);
      expect(field?.description, name).toMatch(/not when it was last checked/);
    }
    await call('PUT', '/groups/{id}', 'steady', { body: cattle('steady', 1), expect: 201 });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5 && outcomes.at(-1) !== 'steady'; i++) {
      outcomes.push((await call('POST', '/groups/{id}/reconcile', 'steady', { expect: 200 })).outcome);
    }
    expect(outcomes[0]).toBe('acted');
    expect(outcomes.at(-1)).toBe('steady');
    const status = async () =>
      ((await call('GET', '/groups/{id}', 'steady', { expect: 200 })).status as Json).lastReconcileAt;
    const changed = await status();
    expect(changed).toEqual(expect.any(Number));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await call('POST', '/groups/{id}/reconcile', 'steady', { expect: 200 })).outcome).toBe('steady');
    expect(await status()).toBe(changed);
    const listed = (await call('GET', '/groups', '', { expect: 200 })).groups as Json[];
    expect(listed.find((g) => g.id === 'steady')?.lastReconcileAt).toBe(changed);
  });

  it('validates real answers of every route, successes and errors, against the response schemas', async () => {
    const G = '/groups/{id}';
    await call('GET', '/openapi.json', '', { expect: 200 });
    await call('GET', '/groups', '', { expect: 200 });
    await call('GET', '/groups', '', { query: { limit: '0' }, expect: 400 });

    // PUT: create, unchanged, changed, without `id` in YAML, pretend, and the refusals.
    const created = await call('PUT', G, 'web', { body: cattle('web', 2), expect: 201 });
    await call('PUT', G, 'web', { body: cattle('web', 2), expect: 200 });
    await call('PUT', G, 'web', {
      body: 'allocation: {size: 2}\ninstance: {provider: fake}\npaused: false\n',
      headers: { 'content-type': 'application/yaml' },
      expect: 200,
    });
    const { id: _id, ...withoutId } = cattle('web', 3);
    await call('PUT', G, 'web', { body: withoutId, expect: 200 });
    await call('PUT', G, 'web', { body: cattle('web', 4), query: { pretend: 'true' }, expect: 200 });
    await call('PUT', G, 'web', {
      body: cattle('web', 1),
      headers: { 'if-match': String(created.etag) },
      expect: 412,
    });
    await call('PUT', G, 'web', { body: { ...cattle('web'), allocation: { size: -1 } }, expect: 400 });
    await call('PUT', G, 'web', {
      body: JSON.stringify(cattle('web')),
      headers: { 'content-type': 'text/plain' },
      expect: 415,
    });
    await call('PUT', G, 'web', { body: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }), expect: 413 });
    await call('PUT', G, 'zk', {
      body: { ...cattle('zk'), allocation: { logicalIds: ['a', 'b'] } },
      expect: 201,
    });

    // Reconcile: acted with a plan, steady, and a failed provider call (errorClass).
    await call('POST', `${G}/reconcile`, 'web', { expect: 200 });
    await call('POST', `${G}/reconcile`, 'web', { expect: 200 });
    await call('PATCH', `${G}/size`, 'web', { body: { size: 5 }, expect: 200 });
    h.provider.faults.provisionError = new ThrottledError('Rate exceeded');
    const failed = await call('POST', `${G}/reconcile`, 'web', { expect: 200 });
    expect(failed.errorClass).toBe('throttling');
    h.provider.faults.describe.push('fail');
    await call('POST', `${G}/reconcile`, 'zk', { expect: 200 });
    await call('POST', `${G}/reconcile`, 'missing', { expect: 404 });

    // A terminating hook: the scale-down waits for its completion; the call is refused for others.
    const hook = { lifecycle: { terminating: { timeoutSeconds: 600 } } };
    await call('PUT', G, 'hooked', { body: cattle('hooked', 2, hook), expect: 201 });
    await call('POST', `${G}/reconcile`, 'hooked', { expect: 200 });
    await call('PATCH', `${G}/size`, 'hooked', { body: { size: 1 }, expect: 200 });
    await call('POST', `${G}/reconcile`, 'hooked', { expect: 200 });
    const [waiting] = (await h.store.listOpenIntents('hooked')).flatMap((i) => i.ids ?? []);
    const done = `${G}/instances/{instanceId}/complete`;
    await call('POST', done, 'hooked', { instanceId: 'i-nobody', expect: 409 });
    await call('POST', done, 'missing', { instanceId: waiting, expect: 404 });
    await call('POST', done, 'hooked', { instanceId: waiting, body: { result: 'maybe' }, expect: 400 });
    await call('POST', done, 'hooked', { instanceId: waiting, body: { result: 'continue' }, expect: 200 });
    // A launching hook: the new instance is listed waiting (`launching`), and its completion answers.
    const boot = { lifecycle: { launching: { timeoutSeconds: 600 } } };
    await call('PUT', G, 'booting', { body: cattle('booting', 1, boot), expect: 201 });
    await call('POST', `${G}/reconcile`, 'booting', { expect: 200 });
    const [booting] = (await h.store.listOpenIntents('booting')).flatMap((i) => i.launchedIds ?? []);
    const view = await call('GET', G, 'booting', { expect: 200 });
    expect(JSON.stringify(view)).toContain('"launching":{"until"');
    const answered = await call('POST', done, 'booting', { instanceId: booting, expect: 200 });
    expect(answered.hook).toBe('launching');

    await call('GET', G, 'web', { expect: 200 });
    await call('GET', G, 'web', { query: { explain: 'true' }, expect: 200 });
    await call('GET', G, 'web', { query: { explain: 'x' }, expect: 400 });
    await call('GET', G, 'missing', { expect: 404 });
    await call('GET', '/groups', '', { query: { limit: '1' }, expect: 200 });
    await call('PATCH', `${G}/size`, 'zk', { body: { size: 1 }, expect: 409 });
    await call('PATCH', `${G}/size`, 'web', { body: { size: 'x' }, expect: 400 });
    await call('PATCH', `${G}/size`, 'web', {
      body: { size: 1 },
      headers: { 'if-match': '"stale"' },
      expect: 412,
    });
    await call('GET', `${G}/events`, 'web', { expect: 200 });
    await call('GET', `${G}/events`, 'web', { query: { limit: '1' }, expect: 200 });
    await call('GET', `${G}/events`, 'web', { query: { cursor: 'nope' }, expect: 400 });
    await call('GET', `${G}/history`, 'web', { expect: 200 });
    await call('GET', `${G}/history`, 'missing', { expect: 404 });
    await call('POST', `${G}/pause`, 'web', { query: { rollout: 'true' }, expect: 200 });
    await call('POST', `${G}/pause`, 'web', { query: { rollout: 'maybe' }, expect: 400 });
    await call('POST', `${G}/resume`, 'web', { query: { rollout: 'true' }, expect: 200 });
    await call('POST', `${G}/pause`, 'web', { headers: { 'if-match': '"stale"' }, expect: 412 });
    await call('POST', `${G}/resume`, 'missing', { expect: 404 });
    await call('POST', `${G}/rollback`, 'web', { body: { version: 1 }, expect: 200 });
    await call('POST', `${G}/rollback`, 'web', { body: { version: 99 }, expect: 404 });
    await call('POST', `${G}/rollback`, 'web', { body: { version: 0 }, expect: 400 });
    await call('POST', `${G}/free`, 'zk', { headers: { 'if-match': '"stale"' }, expect: 412 });
    await call('POST', `${G}/free`, 'zk', { expect: 200 });
    await call('DELETE', G, 'web', { headers: { 'if-match': '"stale"' }, expect: 412 });
    await call('DELETE', G, 'web', { expect: 202 });
    await call('PUT', G, 'web', { body: cattle('web', 2), expect: 409 });
    await call('POST', `${G}/rollback`, 'web', { body: { version: 1 }, expect: 409 });

    // Every route was exercised, each with at least one success.
    for (const route of apiRoutes(depsWith({}))) {
      const statuses = [...(seen.get(`${route.method} ${route.path}`) ?? [])];
      expect(
        statuses.some((s) => s < 300),
        `${route.method} ${route.path}: ${statuses}`,
      ).toBe(true);
    }
  });
});
