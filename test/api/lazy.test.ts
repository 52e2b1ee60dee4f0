import { describe, expect, it, vi } from 'vitest';
import type { ApiDeps } from '../../src/api/types.js';
import type { GroupStore } from '../../src/store/types.js';
import { apiEvent } from './api-event.js';

/**
 * What a cold API container does not need is not loaded until a request needs it: the `yaml`
 * library only for a YAML body, the OpenAPI document (and the response schemas it is made of) only
 * for `GET /openapi.json`. Each mock factory runs when its module is first imported.
 */
const loaded = vi.hoisted(() => new Set<string>());
vi.mock('yaml', async (importOriginal) => {
  loaded.add('yaml');
  return importOriginal();
});
vi.mock('../../src/api/openapi.js', async (importOriginal) => {
  loaded.add('openapi');
  return importOriginal();
});
vi.mock('../../src/api/schemas.js', async (importOriginal) => {
  loaded.add('schemas');
  return importOriginal();
});

const { createApi } = await import('../../src/api/index.js');

/** No group exists: every route that names one answers 404 after reading its body. */
const store = { getGroup: async () => undefined } as unknown as GroupStore;
const api = createApi({
  store,
  providers: new Map(),
  flavors: new Map(),
  requestReconcile: async () => undefined,
} as unknown as ApiDeps);

// One test: the steps depend on their order (what is loaded stays loaded), and tests are shuffled.
describe('lazy loading in the API', () => {
  it('loads the YAML library for the first YAML body and the OpenAPI document for GET /openapi.json', async () => {
    // Reads and JSON bodies (given or sniffed) need neither.
    expect((await api(apiEvent('GET', '/groups/web'))).statusCode).toBe(404);
    const json = await api(
      apiEvent('PATCH', '/groups/web/size', {
        body: '{"size": 3}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(json.statusCode, json.body).toBe(404);
    const sniffed = await api(apiEvent('PATCH', '/groups/web/size', { body: '{"size": 3}' }));
    expect(sniffed.statusCode, sniffed.body).toBe(404);
    const badJson = await api(
      apiEvent('PATCH', '/groups/web/size', {
        body: '{"size":',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(badJson.statusCode).toBe(400);
    expect(JSON.parse(badJson.body ?? '').error.message).toMatch(/^invalid JSON: /);
    expect([...loaded]).toEqual([]);

    const yaml = await api(
      apiEvent('PATCH', '/groups/web/size', {
        body: 'size: 3\n',
        headers: { 'content-type': 'application/yaml' },
      }),
    );
    expect(yaml.statusCode, yaml.body).toBe(404);
    const badYaml = await api(apiEvent('PATCH', '/groups/web/size', { body: 'size: [3' }));
    expect(badYaml.statusCode).toBe(400);
    expect(JSON.parse(badYaml.body ?? '').error.message).toMatch(/^invalid YAML: /);
    expect([...loaded]).toEqual(['yaml']);

    const res = await api(apiEvent('GET', '/openapi.json'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '').openapi).toMatch(/^3\.1/);
    expect([...loaded].sort()).toEqual(['openapi', 'schemas', 'yaml']);
  });
});
