import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, HANDLER_NAMES, handlerEntry, PROJECT_ROOT } from '../../infra/lib/bundling.js';
import { logicalId, type Synthesized, synthStack } from './support.js';

/** The goal of the issue: each handler bundle stays under 400 KB. */
const MAX_BUNDLE_BYTES = 400 * 1024;

const missing = HANDLER_NAMES.map(handlerEntry).filter((entry) => !existsSync(entry));
const FUNCTION_PREFIX = {
  api: 'ControllerApi',
  reconcile: 'ControllerReconcile',
  events: 'ControllerEvents',
};

describe('real bundling with the local esbuild', () => {
  let synth: Synthesized | undefined;

  beforeAll(() => {
    if (missing.length === 0) synth = synthStack({ bundle: true });
  });
  afterAll(() => synth?.cleanup());

  it('finds the three handlers', () => {
    expect(
      missing.map((m) => relative(PROJECT_ROOT, m)),
      'the handler sources must exist before they can be bundled (they export `handler`)',
    ).toEqual([]);
  });

  it.each(HANDLER_NAMES)('bundles %s into one minified ESM file with a source map, under 400 KB', (name) => {
    if (synth === undefined) throw new Error(`cannot bundle: missing ${missing.join(', ')}`);
    const { template, outdir } = synth;
    const fnId = logicalId(template, 'AWS::Lambda::Function', `${FUNCTION_PREFIX[name]}Function`);
    const key = template.toJSON().Resources[fnId].Properties.Code.S3Key as string;
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = join(dir, 'index.mjs');
    expect(existsSync(bundle), `${bundle} exists`).toBe(true);
    const kb = Math.round(statSync(bundle).size / 1024);
    expect(
      kb,
      `${name} bundle is ${kb} KB; \`npx esbuild lambda/${name}.ts --bundle --analyze …\` shows what weighs`,
    ).toBeLessThan(MAX_BUNDLE_BYTES / 1024);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: long lines, not one line per statement (template literals keep their own newlines).
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    // The EC2 and EventBridge SDKs load on first use (src/lazy.ts): never a static import, which
    // would put them in every cold start's init phase.
    for (const client of ['client-ec2', 'client-eventbridge']) {
      expect(code).not.toMatch(new RegExp(`from\\s*"@aws-sdk/${client}"`));
      expect(code).toMatch(new RegExp(`import\\("@aws-sdk/${client}"\\)`));
    }
  });

  it('the api bundle loads the YAML library and the OpenAPI document only for the requests that need them', () => {
    if (synth === undefined) throw new Error(`cannot bundle: missing ${missing.join(', ')}`);
    const { template, outdir } = synth;
    const fnId = logicalId(template, 'AWS::Lambda::Function', `${FUNCTION_PREFIX.api}Function`);
    const key = template.toJSON().Resources[fnId].Properties.Code.S3Key as string;
    const bundle = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
    // Inside the repository, so that the bundle's external `@aws-sdk/*` imports resolve.
    const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'infrakit-lazy-'));
    try {
      copyFileSync(bundle, join(dir, 'index.mjs'));
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', LAZY_PROBE], {
        encoding: 'utf8',
        timeout: 60_000,
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          BUNDLE: pathToFileURL(join(dir, 'index.mjs')).href,
          TABLE_NAME: 'unused',
          INFRAKIT_CONTROLLER_ID: 'bundle-test',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          // Nothing here reaches DynamoDB; a request that tried would fail at once.
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      });
      const line = run.stdout.split('\n').find((l) => l.startsWith('PROBE '));
      expect(line, `${run.stdout}\n${run.stderr}`).toBeDefined();
      const probe = JSON.parse(line?.slice('PROBE '.length) ?? '{}');
      expect(probe).toEqual({
        // The YAML library creates its node symbols (`Symbol.for('yaml.alias')`, …) when it is evaluated.
        yamlAtInit: false,
        openapi: { status: 200, version: '3.1.0' },
        yamlAfterOpenapiAndJson: false,
        badYaml: { status: 400, message: expect.stringMatching(/^invalid YAML: /) },
        yamlAfterYamlBody: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundles of a stack with InfraKit plugins (the plugins prop)', () => {
  it.each(HANDLER_NAMES)(
    '%s carries the plugin client and stays under 400 KB; the Lambda SDK loads on first use',
    async (name) => {
      const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
      mkdirSync(cache, { recursive: true });
      const dir = mkdtempSync(join(cache, 'infrakit-plugins-bundle-'));
      try {
        const outfile = join(dir, 'index.mjs');
        await build(esbuildOptions(handlerEntry(name), outfile, { infrakitPlugins: true, handler: name }));
        const code = readFileSync(outfile, 'utf8');
        expect(code).toMatch(/Instance\.DescribeInstances/);
        expect(code).not.toMatch(/from\s*"@aws-sdk\/client-lambda"/);
        expect(code).toMatch(/import\("@aws-sdk\/client-lambda"\)/);
        const kb = Math.round(statSync(outfile).size / 1024);
        expect(kb, `${name} bundle with plugins is ${kb} KB`).toBeLessThan(MAX_BUNDLE_BYTES / 1024);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

/** Imports the bundle, then sends it requests, reporting what was loaded when (one `PROBE` line). */
const LAZY_PROBE = `
const symbolFor = Symbol.for;
let yaml = false;
Symbol.for = (key) => { if (String(key).startsWith('yaml.')) yaml = true; return symbolFor(key); };
const { handler } = await import(process.env.BUNDLE);
const yamlAtInit = yaml;
const context = { getRemainingTimeInMillis: () => 29000, awsRequestId: 'r', functionName: 'api' };
const event = (method, path, body, type) => ({
  version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '',
  headers: { host: 'x.execute-api.us-east-1.amazonaws.com', ...(type ? { 'content-type': type } : {}) },
  requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' }, requestId: 'r', stage: '$default', routeKey: '$default', timeEpoch: 0, time: '', accountId: '1', apiId: 'x', domainName: 'x', domainPrefix: 'x' },
  isBase64Encoded: false,
  ...(body === undefined ? {} : { body }),
});
const doc = await handler(event('GET', '/openapi.json'), context);
const bad = await handler(event('PATCH', '/groups/web/size', '{"size":', 'application/json'), context);
const yamlAfterOpenapiAndJson = yaml;
const badYaml = await handler(event('PATCH', '/groups/web/size', 'size: [3', 'application/yaml'), context);
process.stdout.write('\\nPROBE ' + JSON.stringify({
  yamlAtInit,
  openapi: { status: doc.statusCode, version: JSON.parse(doc.body).openapi },
  yamlAfterOpenapiAndJson: bad.statusCode === 400 ? yamlAfterOpenapiAndJson : 'json: ' + bad.statusCode,
  badYaml: { status: badYaml.statusCode, message: JSON.parse(badYaml.body).error.message },
  yamlAfterYamlBody: yaml,
}) + '\\n');
`;
