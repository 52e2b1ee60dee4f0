import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apiRoutes, createApi } from '../../src/api/index.js';
import type { ApiDeps } from '../../src/api/types.js';
import { apiEvent, bodyOf } from './api-event.js';

/**
 * The served description is what clients generate from, so it is linted as served, with Redocly's
 * recommended rules (redocly.yaml), and held to the route table in both directions: a route added
 * without its operation, or an operation left behind by a removed route, fails here.
 */

const run = promisify(execFile);
const REDOCLY = join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);

/** Routes only: the document is built from schemas, so no store or engine is needed. */
const deps = {} as ApiDeps;

async function servedDocument(): Promise<{ paths: Record<string, Record<string, unknown>> }> {
  const res = await createApi(deps)(apiEvent('GET', '/openapi.json'));
  expect(res.statusCode).toBe(200);
  return bodyOf(res) as { paths: Record<string, Record<string, unknown>> };
}

describe('GET /openapi.json as clients read it', () => {
  it('passes redocly lint with the recommended rules, no problem ignored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infrakit-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(await servedDocument(), null, 2));
      const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
      const lint = await run(
        process.execPath,
        [REDOCLY, 'lint', file, '--config', join(process.cwd(), 'redocly.yaml'), '--format', 'json'],
        { env, maxBuffer: 16 * 1024 * 1024 },
      ).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
      const report = JSON.parse(lint.stdout ?? '{}') as {
        totals?: { errors: number; warnings: number; ignored: number };
        problems?: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
      };
      const problems = (report.problems ?? []).map(
        (p) => `${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}: ${p.message}`,
      );
      expect(problems, lint.stderr).toEqual([]);
      expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has exactly one operation per route of the route table', async () => {
    const documented = Object.entries((await servedDocument()).paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.has(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = apiRoutes(deps).map((route) => `${route.method} ${route.path}`);
    expect(documented.sort()).toEqual([...new Set(routed)].sort());
  });
});
