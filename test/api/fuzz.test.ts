import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema } from '../../src/api/schemas.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { apiEvent, bodyOf } from './api-event.js';
import { anchorFanOutYaml, longIdJson, MAX_RESPONSE_BYTES, unknownKeysJson } from './bombs.js';
import { type ApiHarness, cattle, createHarness, startServer } from './harness.js';

/**
 * Random methods, paths, headers and bodies: the API never answers 5xx, every answer stays small
 * (a large one would exceed Lambda's response limit and become API Gateway's 500), every error has
 * the JSON error shape, and a refused request (4xx) leaves the table exactly as it was.
 */

let server: DynamoTestServer;
let h: ApiHarness;

beforeAll(async () => {
  server = await startServer();
  h = await createHarness(server);
  await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web', 2) }));
  await h.api(
    apiEvent('PUT', '/groups/zk', { body: { ...cattle('zk'), allocation: { logicalIds: ['a', 'b'] } } }),
  );
  await h.api(apiEvent('POST', '/groups/web/reconcile'));
});
afterAll(async () => {
  await server.stop();
});

const ids = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('web', 'zk', 'missing', 'new-group') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('UPPER', '-x', 'a'.repeat(70), '..', '%00', '%E0%A4%A', 'a%2Fb', 'ünï', ''),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const paths = fc.oneof(
  ids.map((id) => `/groups/${id}`),
  fc
    .tuple(ids, fc.constantFrom('size', 'reconcile', 'free', 'events', 'history', 'rollback', 'nope'))
    .map(([id, sub]) => `/groups/${id}/${sub}`),
  fc.constantFrom('/groups', '/openapi.json', '/', '/groups/', '//groups', '/groups/web/size/extra'),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);

const methods = fc.oneof(
  fc.constantFrom('GET', 'PUT', 'PATCH', 'POST', 'DELETE'),
  fc.constantFrom('HEAD', 'OPTIONS', 'TRACE', 'get', 'BREW'),
);

const validSpec = cattle('web', 3);
const hugeBody = JSON.stringify({ ...validSpec, pad: 'x'.repeat(300 * 1024) });
/** Bodies of a few KiB to 250 KiB whose 400 would name tens of thousands of issues. */
const aliasBomb = anchorFanOutYaml(3844, 31);
const anchorFanOut = anchorFanOutYaml(3844, 5);
const manyUnknownKeys = unknownKeysJson(20_000);
const longId = longIdJson(40_000);

const bodies = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '{',
    '{"id": "web",',
    '[1,2',
    'key: [unclosed',
    '\u0000\u0001',
    'null',
    '42',
    '"str"',
    hugeBody,
  ),
  fc.constantFrom(aliasBomb, anchorFanOut, manyUnknownKeys, longId),
  fc.constantFrom(
    JSON.stringify({ ...validSpec, allocation: { size: 2, logicalIds: ['a'] } }),
    JSON.stringify({ ...validSpec, allocation: { size: 'three' } }),
    JSON.stringify({ ...validSpec, allocation: { size: -1 } }),
    JSON.stringify({ ...validSpec, allocation: { logicalIds: ['a', 'a'] } }),
    JSON.stringify({ ...validSpec, unknownField: true }),
    JSON.stringify({ ...validSpec, instance: { provider: 'nope' } }),
    JSON.stringify({ ...validSpec, instance: { provider: 'process', properties: { command: 7 } } }),
    JSON.stringify({ ...validSpec, id: 'other' }),
    JSON.stringify({ ...validSpec, update: { maxSurge: 0, maxUnavailable: 0 } }),
    JSON.stringify({ ...validSpec, flavor: { kind: 'vanilla', properties: { init: 'x' } } }),
    JSON.stringify({ size: 'x' }),
    JSON.stringify({ size: 1.5 }),
    JSON.stringify({ size: 1e12 }),
    JSON.stringify({ version: 0 }),
    JSON.stringify({ version: 999 }),
    JSON.stringify({ ID: 'web', Properties: { Allocation: {}, Instance: { Plugin: 'unknown-plugin' } } }),
  ),
  fc.record({ size: fc.anything() }).map((v) => JSON.stringify(v) ?? '{}'),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'application/yaml',
      'text/yaml',
      'text/plain',
      'application/json; charset=utf-8',
      'garbage',
      '',
    ),
    'if-match': fc.oneof(fc.constantFrom('*', '"stale"', 'W/"x"', ''), fc.string({ maxLength: 10 })),
    'if-none-match': fc.constantFrom('*', '"x"', ''),
  },
  { requiredKeys: [] },
);

const queries = fc.record(
  {
    pretend: fc.constantFrom('true', 'false', 'yes', '1', ''),
    limit: fc.oneof(fc.constantFrom('0', '-1', '1', '5000', 'abc', '1.5', ''), fc.string({ maxLength: 4 })),
    cursor: fc.oneof(fc.constantFrom('', 'zzz', 'eyJwayI6MX0', '%%%'), fc.string({ maxLength: 12 })),
  },
  { requiredKeys: [] },
);

/** Mostly real routes with the right method (so validation is reached), some random noise. */
const ROUTES: [string, string][] = [
  ['GET', '/groups'],
  ['GET', '/groups/{id}'],
  ['PUT', '/groups/{id}'],
  ['PUT', '/groups/{id}'],
  ['PUT', '/groups/{id}'],
  ['DELETE', '/groups/{id}'],
  ['PATCH', '/groups/{id}/size'],
  ['PATCH', '/groups/{id}/size'],
  ['POST', '/groups/{id}/reconcile'],
  ['POST', '/groups/{id}/free'],
  ['GET', '/groups/{id}/events'],
  ['GET', '/groups/{id}/history'],
  ['POST', '/groups/{id}/rollback'],
  ['POST', '/groups/{id}/rollback'],
  ['GET', '/openapi.json'],
];
const targets = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROUTES), ids)
      .map(([[m, t], id]) => ({ method: m, path: t.replace('{id}', id) })),
  },
  { weight: 1, arbitrary: fc.record({ method: methods, path: paths }) },
);

type FuzzRequest = {
  target: { method: string; path: string };
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string | undefined;
  base64: boolean;
};

const requests: fc.Arbitrary<FuzzRequest> = fc.record({
  target: targets,
  headers,
  query: queries,
  body: bodies,
  base64: fc.boolean(),
});

/** One request per status the run must reach; fast-check runs them before the random ones. */
const json = { 'content-type': 'application/json' };
const yaml = { 'content-type': 'application/yaml' };
const plain = { headers: {}, query: {}, base64: false };
const EXAMPLES: [FuzzRequest][] = [
  [{ ...plain, target: { method: 'GET', path: '/groups' }, body: undefined }],
  [{ ...plain, target: { method: 'PUT', path: '/groups/web' }, headers: json, body: '{' }],
  [{ ...plain, target: { method: 'GET', path: '/groups/missing' }, body: undefined }],
  [{ ...plain, target: { method: 'TRACE', path: '/groups' }, body: undefined }],
  [
    {
      ...plain,
      target: { method: 'PUT', path: '/groups/web' },
      headers: { ...json, 'if-match': '"stale"' },
      body: JSON.stringify(validSpec),
    },
  ],
  ...[aliasBomb, anchorFanOut].map((body): [FuzzRequest] => [
    { ...plain, target: { method: 'PUT', path: '/groups/web' }, headers: yaml, body },
  ]),
  ...[manyUnknownKeys, longId].map((body): [FuzzRequest] => [
    { ...plain, target: { method: 'PUT', path: '/groups/web' }, headers: json, body },
  ]),
];

describe('API fuzzing', () => {
  it('never answers 5xx, answers small, always uses the error shape, and writes nothing on a 4xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const before = await h.scan();
        const { method, path } = r.target;
        const event = apiEvent(method, path, {
          headers: r.headers,
          query: r.query,
          ...(r.body !== undefined ? { body: r.body, base64: r.base64 } : {}),
        });
        const res = await h.api(event);
        const status = res.statusCode ?? 0;
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect(status, `${method} ${path}: ${res.body?.slice(0, 300)}`).toBeLessThan(500);
        expect(status).toBeGreaterThanOrEqual(200);
        const size = Buffer.byteLength(res.body ?? '');
        expect(size, `${method} ${path} → ${status}: ${size} bytes`).toBeLessThan(MAX_RESPONSE_BYTES);
        if (status >= 400) {
          expect(ErrorResponseSchema.safeParse(bodyOf(res)).success, res.body).toBe(true);
          expect(await h.scan(), `${method} ${path} → ${status} changed the table`).toBe(before);
        }
      }),
      { numRuns: 300, examples: EXAMPLES },
    );
    // The run must reach the interesting answers, or the property above proves little.
    for (const status of [200, 400, 404, 405, 412]) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
  });
});
