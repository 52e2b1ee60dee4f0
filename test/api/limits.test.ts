import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema } from '../../src/api/schemas.js';
import { ISSUE_LIMITS, SpecValidationError } from '../../src/errors.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { apiEvent } from './api-event.js';
import {
  anchorFanOutYaml,
  longIdJson,
  MAX_RESPONSE_BYTES,
  unknownKeysJson,
  unknownKeysYaml,
} from './bombs.js';
import { type ApiHarness, createHarness, startServer } from './harness.js';

/** A bad request of any size gets a small 400: Lambda cannot return more than 6 MB. */

let server: DynamoTestServer;
let h: ApiHarness;

beforeAll(async () => {
  server = await startServer();
  h = await createHarness(server);
});
afterAll(async () => {
  await server.stop();
});

async function putBody(body: string, contentType: string) {
  const before = await h.scan();
  const res = await h.api(apiEvent('PUT', '/groups/web', { body, headers: { 'content-type': contentType } }));
  expect(res.statusCode, res.body?.slice(0, 300)).toBe(400);
  expect(Buffer.byteLength(res.body ?? '')).toBeLessThan(MAX_RESPONSE_BYTES);
  expect(await h.scan()).toBe(before);
  return ErrorResponseSchema.parse(JSON.parse(res.body ?? '')).error;
}

describe('the size of a 400', () => {
  it('refuses a YAML alias bomb with a 400 that names the alias limit', async () => {
    const body = anchorFanOutYaml(3844, 31);
    expect(body.length).toBeLessThan(32 * 1024);
    const error = await putBody(body, 'application/yaml');
    expect(error.code).toBe('invalid-spec');
    expect(error.message).toMatch(/^invalid YAML: too many alias references/);
    expect(error.issues).toEqual([{ path: '', message: error.message }]);
  });

  it('reports the first issues of thousands, then how many more there are', async () => {
    // 5 references stay under the alias limit and still mean 5 × 3,844 unknown fields.
    const error = await putBody(anchorFanOutYaml(3844, 5), 'application/yaml');
    const issues = error.issues ?? [];
    expect(issues).toHaveLength(ISSUE_LIMITS.count + 1);
    const rest = Number(/^(\d+) more issues not shown$/.exec(issues.at(-1)?.message ?? '')?.[1]);
    const total = rest + ISSUE_LIMITS.count;
    expect(total).toBeGreaterThan(5 * 3844);
    expect(issues.slice(0, 2)).toEqual([
      { path: 'allocation.k0', message: 'unknown field' },
      { path: 'allocation.k1', message: 'unknown field' },
    ]);
    expect(issues.at(-1)?.path).toBe('');
    expect(error.message).toMatch(
      new RegExp(
        `^allocation.k0: unknown field; .*; ${total - ISSUE_LIMITS.messageIssues} more issues not shown$`,
      ),
    );
    expect(error.message.split('; ')).toHaveLength(ISSUE_LIMITS.messageIssues + 1);
  });

  it('caps a JSON body of 20,000 unknown fields the same way', async () => {
    const error = await putBody(unknownKeysJson(20_000), 'application/json');
    expect(error.issues).toHaveLength(ISSUE_LIMITS.count + 1);
    expect(error.issues?.at(-1)?.message).toBe(`${20_000 - ISSUE_LIMITS.count} more issues not shown`);
  });

  it('refuses a YAML body of 30,000 unknown keys with a small 400, and still finds duplicate keys', async () => {
    // How long this takes is the bench's `api.yaml-30k-keys.ms` (a pairwise key check took ~15 s).
    const body = unknownKeysYaml(30_000);
    expect(body.length).toBeLessThan(256 * 1024);
    const error = await putBody(body, 'application/yaml');
    expect(error.issues?.at(-1)?.message).toBe(`${30_000 - ISSUE_LIMITS.count} more issues not shown`);
    const duplicate = await putBody(
      'id: web\nallocation: {size: 1}\nallocation: {size: 2}\n',
      'application/yaml',
    );
    expect(duplicate.message).toBe('invalid YAML: Map keys must be unique at line 3, column 1');
  });

  it('clips a message that quotes a long value from the request', async () => {
    const error = await putBody(longIdJson(40_000), 'application/json');
    const [issue] = error.issues ?? [];
    expect(issue?.path).toBe('id');
    expect(issue?.message).toMatch(/^must equal the id in the path \(web\), got "\\u0001/);
    expect(issue?.message.length).toBeLessThanOrEqual(ISSUE_LIMITS.messageChars);
    expect(issue?.message.endsWith('…')).toBe(true);
  });
});

describe('SpecValidationError', () => {
  it('keeps every issue but names only the first ones in its message', () => {
    const issues = Array.from({ length: 1000 }, (_, i) => ({ path: `f${i}`, message: 'unknown field' }));
    const err = new SpecValidationError(issues);
    expect(err.issues).toHaveLength(1000);
    expect(err.message.length).toBeLessThanOrEqual(ISSUE_LIMITS.summaryChars + 100);
    expect(err.message).toMatch(/^f0: unknown field; f1: unknown field; .*; 980 more issues not shown$/);
    expect(new SpecValidationError(issues.slice(0, 2)).message).toBe('f0: unknown field; f1: unknown field');
  });
});
