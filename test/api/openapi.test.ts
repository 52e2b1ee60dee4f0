import { describe, expect, it } from 'vitest';
import { apiRoutes, createApi, type Log } from '../../src/api/index.js';
import { ErrorResponseSchema } from '../../src/api/schemas.js';
import type { ApiDeps } from '../../src/api/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import type { GroupStore } from '../../src/store/types.js';
import { FakeProvider } from '../helpers/fake-provider.js';
import { apiEvent, bodyOf } from './api-event.js';

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
    expect(schemas.GroupSpecInput?.required).toEqual(['id', 'allocation', 'instance']);
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
