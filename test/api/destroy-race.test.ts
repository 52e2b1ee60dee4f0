import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema, GroupDocumentSchema, StoredGroupSchema } from '../../src/api/schemas.js';
import { validateSpec } from '../../src/spec/validate.js';
import type { GroupStore } from '../../src/store/types.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { apiEvent, bodyOf } from './api-event.js';
import { type ApiHarness, cattle, createHarness, startServer } from './harness.js';

/**
 * DELETE and PUT racing on one group. The API checks `If-Match` on a read, then writes; a write
 * landing in between must not be lost: the store write is conditional on what was checked.
 */

let server: DynamoTestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

/** A harness whose API store runs `race` once, just before the API's markDestroying or putSpec write. */
async function racingHarness(
  method: 'markDestroying' | 'putSpec',
  race: (store: GroupStore) => Promise<void>,
): Promise<ApiHarness> {
  let raced = false;
  return createHarness(server, {
    apiStore: (store) =>
      new Proxy(store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== method || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (!raced) {
              raced = true;
              await race(target);
            }
            return value.apply(target, args);
          };
        },
      }),
  });
}

const putSize = (store: GroupStore, size: number) =>
  store.putSpec(validateSpec(cattle('web', size)), { expectedVersion: 1, now: Date.now() });

describe('DELETE racing a PUT', () => {
  it('answers 412 when the group changed between the If-Match check and the mark, destroying nothing', async () => {
    const h = await racingHarness('markDestroying', (store) => putSize(store, 7).then(() => {}));
    const created = StoredGroupSchema.parse(
      bodyOf(await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web') }))),
    );
    const res = await h.api(apiEvent('DELETE', '/groups/web', { headers: { 'if-match': created.etag } }));
    expect(res.statusCode, res.body).toBe(412);
    expect(ErrorResponseSchema.parse(bodyOf(res)).error.code).toBe('precondition-failed');
    expect(await h.store.getGroup('web')).toMatchObject({ lifecycle: 'active', version: 2 });
  });

  it('without If-Match, destroys the version it finally read (last writer wins, as for PUT)', async () => {
    const h = await racingHarness('markDestroying', (store) => putSize(store, 7).then(() => {}));
    await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web') }));
    const res = await h.api(apiEvent('DELETE', '/groups/web'));
    expect(res.statusCode, res.body).toBe(202);
    expect(GroupDocumentSchema.parse(bodyOf(res))).toMatchObject({ lifecycle: 'destroying', version: 2 });
    expect(await h.store.getGroup('web')).toMatchObject({ lifecycle: 'destroying', version: 2 });
  });
});

describe('PUT racing a DELETE', () => {
  it('answers 409 when the group was marked destroying after the PUT read it, keeping the spec', async () => {
    const h = await racingHarness('putSpec', (store) => store.markDestroying('web', Date.now()));
    // The first putSpec (the create) runs the race: create directly in the store instead.
    await h.store.putSpec(validateSpec(cattle('web')), { createOnly: true, now: Date.now() });
    const res = await h.api(apiEvent('PUT', '/groups/web', { body: cattle('web', 5) }));
    expect(res.statusCode, res.body).toBe(409);
    const { error } = ErrorResponseSchema.parse(bodyOf(res));
    expect(error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/being destroyed/) });
    expect(await h.store.getGroup('web')).toMatchObject({ lifecycle: 'destroying', version: 1 });
    expect((await h.store.getGroup('web'))?.spec.allocation.size).toBe(2);
  });
});
