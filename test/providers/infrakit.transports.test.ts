import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer } from '../../examples/ecs-plugin/rpc.js';
import { ENV } from '../../src/env.js';
import { parsePluginAddress } from '../../src/providers/infrakit/address.js';
import { configuredObjects, parseConfiguredPlugins } from '../../src/providers/infrakit/endpoints.js';
import {
  InfrakitPlugins,
  InfrakitProvider,
  PluginProtocolError,
  PluginTimeoutError,
  PluginUnavailableError,
} from '../../src/providers/infrakit/index.js';
import { lambdaInvoker } from '../../src/providers/infrakit/lambda-transport.js';
import { infrakitPlugin } from '../../src/providers/infrakit/plugin.js';
import { createSigV4Signer } from '../../src/sigv4.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { type HttpsPlugin, startHttpsPlugin } from '../helpers/https-plugin.js';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../helpers/lambda-invoke-server.js';
import { memoryInstancePlugin } from '../helpers/memory-plugin.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/tls.js';

/**
 * The cloud transports of the InfraKit plugin client: a Lambda function invoked through the real
 * `LambdaClient` (a loopback server speaking Lambda's Invoke API runs the plugin in this process),
 * and an HTTPS endpoint on loopback with TLS and SigV4, trusted through a configured CA only.
 */

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDTRANSPORTTEST', secretAccessKey: 'transport-test-secret' };
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:123456789012:function:memory-plugin`;
const OWNER = { controllerId: 'c1', groupId: 'web' };

let lambda: LambdaInvokeServer;
let cert: TestCertificate;
let https: HttpsPlugin;
const memory = memoryInstancePlugin();
const httpsMemory = memoryInstancePlugin();

beforeAll(async () => {
  cert = selfSignedCertificate();
  [lambda, https] = await Promise.all([
    startLambdaInvokeServer({ 'memory-plugin': (event) => answer(memory.methods, event) }),
    startHttpsPlugin({
      cert,
      methods: () => httpsMemory.methods,
      sigv4: { service: 'execute-api', region: REGION, credentials: CREDENTIALS },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([lambda?.stop(), https?.stop()]);
});

function cloudPlugins(options: { readonly callTimeoutMs?: number; readonly ca?: string | undefined } = {}) {
  return new InfrakitPlugins({
    endpoints: new Map([
      ['mem', { kind: 'lambda', functionName: FUNCTION_ARN }],
      [
        'web',
        {
          kind: 'http',
          url: https.url,
          sigv4Service: 'execute-api',
          ca: 'ca' in options ? options.ca : cert.cert,
        },
      ],
    ]),
    transports: {
      invokeLambda: lambdaInvoker({ endpoint: lambda.endpoint, region: REGION, credentials: CREDENTIALS }),
      signer: (url, service) => createSigV4Signer(url, { service, region: REGION, credentials: CREDENTIALS }),
    },
    callTimeoutMs: options.callTimeoutMs ?? 10_000,
  });
}

describe('addresses and configuration of a deployed controller', () => {
  it('reads lambda: addresses by name, alias and ARN, with # naming the object', () => {
    expect(parsePluginAddress('lambda:my-plugin')).toMatchObject({
      kind: 'lambda',
      functionName: 'my-plugin',
      type: '',
    });
    expect(parsePluginAddress('lambda:my-plugin:live#tasks')).toMatchObject({
      functionName: 'my-plugin:live',
      type: 'tasks',
    });
    expect(parsePluginAddress(`lambda:${FUNCTION_ARN}`)).toMatchObject({ functionName: FUNCTION_ARN });
    expect(() => parsePluginAddress('lambda:')).toThrow(/must name a Lambda function/);
    expect(() => parsePluginAddress('lambda:bad name')).toThrow(/must name a Lambda function/);
  });

  it('takes lambda: and https:// plugins, and refuses plain HTTP, duplicates and misplaced options', () => {
    const plugins = parseConfiguredPlugins(
      JSON.stringify([
        { name: 'ecs', address: `lambda:${FUNCTION_ARN}` },
        {
          name: 'api',
          address: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
          sigv4Service: 'execute-api',
          objects: ['a', 'b'],
        },
      ]),
      ENV.plugins,
    );
    expect(configuredObjects(plugins)).toEqual(['ecs', 'api/a', 'api/b']);
    const refused = (list: unknown) => () => parseConfiguredPlugins(JSON.stringify(list), ENV.plugins);
    expect(refused([{ name: 'p', address: 'http://plugins.example.com/' }])).toThrow(
      /INFRAKIT_PLUGINS\[0\.address\]: must be lambda:<function> or an https:\/\/ URL/,
    );
    expect(refused([{ name: 'p', address: 'unix:///run/p.sock' }])).toThrow(
      /must be lambda:<function> or an https/,
    );
    expect(
      refused([
        { name: 'p', address: 'lambda:f' },
        { name: 'p', address: 'lambda:g' },
      ]),
    ).toThrow(/p is named twice/);
    expect(refused([{ name: 'p', address: 'lambda:f', sigv4Service: 'lambda' }])).toThrow(
      /https:\/\/ plugins only/,
    );
    expect(refused([{ name: 'p', address: 'lambda:f#obj' }])).toThrow(/name objects in `objects`/);
    expect(() => parseConfiguredPlugins('{', ENV.plugins)).toThrow(/INFRAKIT_PLUGINS is not JSON/);
  });

  it('deployed, the provider serves exactly the configured plugins; without any it says why it is off', async () => {
    const env = { [ENV.plugins]: JSON.stringify([{ name: 'ecs', address: `lambda:${FUNCTION_ARN}` }]) };
    expect(infrakitPlugin.unavailable({ where: 'aws', controllerId: 'c1', env: {} })).toMatch(
      /no plugins configured/,
    );
    expect(
      infrakitPlugin.unavailable({ where: 'aws', controllerId: 'c1', env: { [ENV.plugins]: '[1]' } }),
    ).toMatch(/INFRAKIT_PLUGINS\[0\]/);
    const built = await infrakitPlugin.build({ where: 'aws', controllerId: 'c1', env });
    const provider = built?.provider as InfrakitProvider;
    expect(provider.objects).toEqual(['ecs']);
    expect(provider.plugins.pluginsDir).toBeUndefined();
    expect(() => provider.validate({ plugin: 'simulator/compute' })).toThrow(/serves: ecs/);
  });
});

describe('a plugin that is a Lambda function', () => {
  it('drives a group: each JSON-RPC request is the payload of one RequestResponse invocation', async () => {
    const provider = new InfrakitProvider({ objects: ['mem'], plugins: cloudPlugins() });
    const before = lambda.invocations.length;
    const tags = { [TAG_CONTROLLER]: 'c1', [TAG_GROUP]: 'web' };
    const { launched } = await provider.provision({ plugin: 'mem', properties: { size: 'small' } }, [
      { tags, init: 'echo hi', token: 't1' },
    ]);
    expect(await provider.describe({ tags })).toEqual([expect.objectContaining({ id: launched[0]?.id })]);
    await provider.destroy([launched[0]?.id ?? ''], OWNER, 'terminate');
    expect(await provider.describe({ tags })).toEqual([]);

    // Another test's slow function may still be answering a shared handshake: only this plugin's calls.
    const sent = lambda.invocations.slice(before).filter((i) => i.functionName === 'memory-plugin');
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.every((i) => i.invocationType === 'RequestResponse')).toBe(true);
    const provision = sent.map((i) => JSON.parse(i.payload)).find((p) => p.method === 'Instance.Provision');
    expect(provision).toEqual({
      jsonrpc: '2.0',
      method: 'Instance.Provision',
      params: {
        Type: '',
        Spec: {
          Properties: { size: 'small' },
          Tags: expect.objectContaining(tags),
          Init: 'echo hi',
          LogicalID: null,
        },
      },
      id: expect.any(Number),
    });
  });

  it('a function that fails (an error, a Lambda timeout) is a plugin error in its own words', async () => {
    lambda.setHandler('failing', async () => {
      throw Object.assign(new Error('Task timed out after 14.00 seconds'), { name: 'Sandbox.Timedout' });
    });
    const err = await cloudPlugins()
      .instance('lambda:failing')
      .describe({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginUnavailableError);
    expect((err as Error).message).toMatch(
      /the function failed \(Unhandled\): Sandbox\.Timedout: Task timed out/,
    );
  });

  it('a function that does not exist is unavailable, naming why', async () => {
    const err = await cloudPlugins()
      .instance('lambda:no-such-function')
      .describe({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginUnavailableError);
    expect((err as Error).message).toMatch(/lambda:no-such-function.*no such function/);
  });

  it('a function that does not answer in time: a timeout within the call budget; an abort stops at once', async () => {
    lambda.setHandler('slow', () => new Promise(() => undefined));
    const started = Date.now();
    await expect(
      cloudPlugins({ callTimeoutMs: 300 }).instance('lambda:slow').describe({}),
    ).rejects.toBeInstanceOf(PluginTimeoutError);
    expect(Date.now() - started).toBeLessThan(30_000);
    const controller = new AbortController();
    const call = cloudPlugins().instance('lambda:slow').describe({}, { signal: controller.signal });
    const reason = new Error('lease lost');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
  });
});

describe('a plugin at an HTTPS endpoint', () => {
  it('drives a group with SigV4-signed requests, trusting the endpoint through its configured CA', async () => {
    const provider = new InfrakitProvider({ objects: ['web'], plugins: cloudPlugins() });
    const refused = https.refused;
    const tags = { [TAG_CONTROLLER]: 'c1', [TAG_GROUP]: 'web' };
    await provider.preflight({ plugin: 'web', properties: {} });
    const { launched } = await provider.provision({ plugin: 'web', properties: {} }, [
      { tags, token: 't2' },
      { tags, token: 't2' },
    ]);
    expect((await provider.describe({ tags })).map((d) => d.id).sort()).toEqual(
      launched.map((d) => d.id).sort(),
    );
    expect(https.refused).toBe(refused);
    expect(https.calls).toEqual(
      expect.arrayContaining([
        'Handshake.Hello',
        'Instance.Validate',
        'Instance.Provision',
        'Instance.DescribeInstances',
      ]),
    );
  });

  it('without the CA the certificate is not trusted: nothing is sent', async () => {
    const calls = https.calls.length;
    const err = await cloudPlugins({ ca: undefined })
      .instance('web')
      .describe({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginUnavailableError);
    expect((err as Error).message).toMatch(/self.signed certificate/i);
    expect(https.calls.length).toBe(calls);
  });

  it('a request signed with other credentials is refused by the endpoint, and is an error, not an answer', async () => {
    const refused = https.refused;
    const plugins = new InfrakitPlugins({
      endpoints: new Map([
        ['web', { kind: 'http', url: https.url, sigv4Service: 'execute-api', ca: cert.cert }],
      ]),
      transports: {
        signer: (url, service) =>
          createSigV4Signer(url, {
            service,
            region: REGION,
            credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other' },
          }),
      },
    });
    await expect(plugins.instance('web').describe({})).rejects.toBeInstanceOf(PluginProtocolError);
    expect(https.refused).toBe(refused + 1);
  });

  it('retries a throttled request (HTTP 429) at most three sends in all, within the call; never an error page', async () => {
    const memory429 = memoryInstancePlugin();
    let sends = 0;
    let throttled = 2;
    const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        sends++;
        if (throttled-- > 0) {
          res.writeHead(429, { 'content-type': 'application/json' }).end('{"message":"Too Many Requests"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(await answer(memory429.methods, JSON.parse(Buffer.concat(chunks).toString()))),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const plugins = () =>
      new InfrakitPlugins({
        endpoints: new Map([['t', { kind: 'http', url, ca: cert.cert }]]),
        callTimeoutMs: 10_000,
      });
    try {
      // Hello is throttled twice and answered on its third send; the describe then goes through.
      await expect(plugins().instance('t').describe({})).resolves.toEqual([]);
      expect(sends).toBe(4);
      // Throttled for good: three sends, then the plugin's refusal is the error.
      sends = 0;
      throttled = 10;
      await expect(plugins().instance('t').describe({})).rejects.toThrow(/HTTP 429/);
      expect(sends).toBe(3);
      // An error page is not retried: the plugin may have acted on the request.
      sends = 0;
      throttled = 0;
      server.removeAllListeners('request');
      server.on('request', (_req, res) => {
        sends++;
        res.writeHead(502).end('Bad Gateway');
      });
      await expect(plugins().instance('t').describe({})).rejects.toBeInstanceOf(PluginProtocolError);
      expect(sends).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
