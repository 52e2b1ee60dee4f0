import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredGroupSchema } from '../../src/api/schemas.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { apiEvent, bodyOf } from './api-event.js';
import { cattle, createHarness, startServer } from './harness.js';

let server: DynamoTestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

describe('optimistic concurrency', () => {
  it('concurrent PUTs with the same If-Match: exactly one succeeds, the rest get 412', async () => {
    const h = await createHarness(server);
    const created = StoredGroupSchema.parse(
      bodyOf(await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web', 1) }))),
    );
    const writers = Array.from({ length: 8 }, (_, i) =>
      h.api(
        apiEvent('PUT', '/groups/web', {
          body: cattle('web', 10 + i),
          headers: { 'if-match': created.etag },
        }),
      ),
    );
    const results = await Promise.all(writers);
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(7);
    const winner = StoredGroupSchema.parse(bodyOf(results[statuses.indexOf(200)] ?? {}));
    const stored = await h.store.getGroup('web');
    expect(stored?.version).toBe(2);
    expect(stored?.spec.allocation.size).toBe(winner.spec.allocation.size);
    const history = await h.store.listVersions('web');
    expect(history.items.map((v) => v.version)).toEqual([2, 1]);
  });

  it('read-modify-write clients retrying on 412 lose no update', async () => {
    const h = await createHarness(server);
    await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web', 0) }));
    const increment = async () => {
      for (;;) {
        const got = await h.api(apiEvent('GET', '/groups/web'));
        const { etag, spec } = StoredGroupSchema.parse({ ...bodyOf(got), status: undefined });
        const res = await h.api(
          apiEvent('PATCH', '/groups/web/size', {
            body: { size: (spec.allocation.size ?? 0) + 1 },
            headers: { 'if-match': etag },
          }),
        );
        if (res.statusCode === 200) return;
        expect(res.statusCode).toBe(412);
      }
    };
    await Promise.all(Array.from({ length: 6 }, increment));
    expect((await h.store.getGroup('web'))?.spec.allocation.size).toBe(6);
    expect((await h.store.getGroup('web'))?.version).toBe(7);
  });
});
