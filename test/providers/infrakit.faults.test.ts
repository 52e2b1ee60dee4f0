import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotOwnedError, SpecValidationError } from '../../src/errors.js';
import {
  defaultPluginsDir,
  discoverPluginObjects,
  InfrakitPlugins,
  InfrakitProvider,
  PluginMismatchError,
  PluginProtocolError,
  PluginRpcError,
  PluginTimeoutError,
  PluginUnavailableError,
  parsePluginAddress,
} from '../../src/providers/infrakit/index.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import {
  type FakeAnswer,
  type FakeCall,
  type FakePlugin,
  hello,
  memoryInstances,
  startFakePlugin,
} from '../helpers/fake-infrakit-plugin.js';

const INSTANCE = 'Instance/0.6.1';
const owner = { controllerId: 'ctl', groupId: 'web' };
const ownTags = { [TAG_CONTROLLER]: 'ctl', [TAG_GROUP]: 'web', [TAG_CONFIG_HASH]: 'h1', [TAG_INTENT]: 't1' };

const started: FakePlugin[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) await p.stop();
});

async function plugin(
  name: string,
  handle: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>,
  options: { tcp?: boolean } = {},
): Promise<FakePlugin> {
  const p = await startFakePlugin(name, handle, options);
  started.push(p);
  return p;
}

/** A plugin `sim` serving `compute` from memory, with `override` answering first where it wants to. */
async function memoryPlugin(
  override?: (call: FakeCall) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>,
) {
  const memory = memoryInstances();
  const fake = await plugin('sim', async (call) => {
    const special = await override?.(call);
    if (special) return special;
    if (call.method === 'Handshake.Hello') return hello({ [INSTANCE]: ['compute'] });
    return memory.handle(call) ?? { error: `rpc: can't find method "${call.method}"` };
  });
  const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 500 });
  const provider = new InfrakitProvider({ objects: ['sim/compute'], plugins });
  const props = provider.validate({ plugin: 'sim/compute', properties: { note: 'x' } });
  return { fake, memory, plugins, provider, props };
}

function ofMethod(fake: FakePlugin, method: string): FakeCall[] {
  return fake.calls.filter((c) => c.method === method);
}

describe('plugin addresses', () => {
  it('reads a name, a name with an object, a unix socket and a URL, with # naming the object', () => {
    expect(parsePluginAddress('vanilla')).toMatchObject({ kind: 'name', socket: 'vanilla', type: '' });
    expect(parsePluginAddress('simulator/compute')).toMatchObject({ socket: 'simulator', type: 'compute' });
    expect(parsePluginAddress('unix:///run/infrakit/sim#compute')).toMatchObject({
      kind: 'unix',
      socketPath: '/run/infrakit/sim',
      type: 'compute',
    });
    expect(parsePluginAddress('https://plugins.example:24864/aws/#ec2-instance')).toMatchObject({
      kind: 'http',
      url: 'https://plugins.example:24864/aws/',
      type: 'ec2-instance',
    });
  });

  it.each([
    '',
    'a/b/c',
    '../etc',
    '/abs/path',
    'unix://host/socket',
    'unix:///',
    'http://user:pw@host/',
    'ftp://host/',
  ])('refuses %j', (text) => {
    expect(() => parsePluginAddress(text)).toThrow();
  });

  it('finds the plugins folder as InfraKit does: INFRAKIT_PLUGINS_DIR, $INFRAKIT_HOME/plugins, ~/.infrakit/plugins', () => {
    expect(defaultPluginsDir({ INFRAKIT_PLUGINS_DIR: '/p', INFRAKIT_HOME: '/h' }, '/home/u')).toBe('/p');
    expect(defaultPluginsDir({ INFRAKIT_HOME: '/h' }, '/home/u')).toBe('/h/plugins');
    expect(defaultPluginsDir({}, '/home/u')).toBe('/home/u/.infrakit/plugins');
  });
});

describe('the infrakit provider on the wire', () => {
  it("writes InfraKit's tag names, the logical id and the init script, and reads them back as this project's", async () => {
    const { fake, memory, provider, props } = await memoryPlugin();
    const tags = { ...ownTags, [TAG_LOGICAL_ID]: 'db-1', team: 'ops' };
    const { launched } = await provider.provision(props, [
      { tags, token: 't1', logicalId: 'db-1', init: 'echo hi' },
    ]);
    const [call] = ofMethod(fake, 'Instance.Provision');
    const spec = call?.params.Spec as Record<string, unknown>;
    expect(call?.params.Type).toBe('compute');
    expect(spec).toMatchObject({ Properties: { note: 'x' }, Init: 'echo hi', LogicalID: 'db-1' });
    expect(spec.Tags).toMatchObject({
      'infrakit.config.hash': 'h1',
      'infrakit.logical_id': 'db-1',
      team: 'ops',
    });
    expect(spec.Tags).not.toHaveProperty(TAG_CONFIG_HASH);
    expect(spec.Tags).not.toHaveProperty(TAG_LOGICAL_ID);

    // Described (and selected) under this project's names.
    const seen = await provider.describe({ tags: { [TAG_GROUP]: 'web', [TAG_CONFIG_HASH]: 'h1' } });
    expect(seen.map((i) => i.id)).toEqual(launched.map((i) => i.id));
    expect(seen[0]).toMatchObject({ state: 'running', health: { status: 'unknown' } });
    expect(seen[0]?.tags).toMatchObject({ [TAG_CONFIG_HASH]: 'h1', [TAG_LOGICAL_ID]: 'db-1', team: 'ops' });
    expect(ofMethod(fake, 'Instance.DescribeInstances').at(-1)?.params.Tags).toEqual({
      [TAG_GROUP]: 'web',
      'infrakit.config.hash': 'h1',
    });

    // An instance an InfraKit manager made is seen under this project's names.
    memory.instances.set('42', {
      tags: { [TAG_GROUP]: 'legacy', 'infrakit.config.hash': 'old', 'infrakit.logical_id': 'zk1' },
      logicalId: 'zk1',
    });
    const [legacy] = await provider.describe({ tags: { [TAG_GROUP]: 'legacy' } });
    expect(legacy?.tags).toEqual({
      [TAG_GROUP]: 'legacy',
      [TAG_CONFIG_HASH]: 'old',
      [TAG_LOGICAL_ID]: 'zk1',
    });
    expect(legacy?.details).toMatchObject({ plugin: 'sim/compute', logicalId: 'zk1' });
  });

  it('dates an instance by its launch tag, and one without it by when it was first seen', async () => {
    let clock = 1_000_000;
    const { memory, plugins } = await memoryPlugin();
    const provider = new InfrakitProvider({ objects: ['sim/compute'], plugins, now: () => clock });
    const props = provider.validate({ plugin: 'sim/compute' });
    await provider.provision(props, [{ tags: ownTags, token: 't1' }]);
    memory.instances.set('7', { tags: { [TAG_GROUP]: 'web' }, logicalId: null });
    clock = 2_000_000;
    const first = await provider.describe({ tags: { [TAG_GROUP]: 'web' } });
    clock = 3_000_000;
    const again = await provider.describe({ tags: { [TAG_GROUP]: 'web' } });
    expect(first.map((i) => i.launchedAt).sort()).toEqual([1_000_000, 2_000_000]);
    expect(again.map((i) => i.launchedAt).sort()).toEqual([1_000_000, 2_000_000]);
  });

  it('provisions one call per request, at most `parallelism` at once, results in request order', async () => {
    const { fake, plugins } = await memoryPlugin(async (call) => {
      if (call.method === 'Instance.Provision') await new Promise((r) => setTimeout(r, 15));
      return undefined;
    });
    const provider = new InfrakitProvider({ objects: ['sim/compute'], plugins, parallelism: 4 });
    const props = provider.validate({ plugin: 'sim/compute' });
    const requests = Array.from({ length: 12 }, (_, i) => ({
      tags: { ...ownTags, n: String(i) },
      token: 't1',
    }));
    const { launched } = await provider.provision(props, requests);
    expect(launched.map((i) => i.tags.n)).toEqual(requests.map((r) => r.tags.n));
    expect(ofMethod(fake, 'Instance.Provision')).toHaveLength(12);
    expect(fake.inFlight.max).toBe(4);
  });

  it('stops provisioning at the first failure and throws, the launched ones tagged with their token', async () => {
    let provisions = 0;
    const { fake, provider, props } = await memoryPlugin((call) => {
      if (call.method === 'Instance.Provision' && ++provisions === 3) return { error: 'quota exceeded' };
      return undefined;
    });
    const requests = Array.from({ length: 20 }, () => ({ tags: ownTags, token: 't1' }));
    await expect(provider.provision(props, requests)).rejects.toThrow(/quota exceeded/);
    // At most the requests already in flight when the failure came back were sent.
    expect(ofMethod(fake, 'Instance.Provision').length).toBeLessThanOrEqual(3 + 8);
    const launched = await provider.describe({ tags: { [TAG_INTENT]: 't1' } });
    expect(launched.length).toBe(ofMethod(fake, 'Instance.Provision').length - 1);
  });

  it('an aborted provision sends no further request and throws the reason', async () => {
    const controller = new AbortController();
    const { fake, plugins } = await memoryPlugin((call) => {
      if (call.method !== 'Instance.Provision') return undefined;
      // Both requests of the first round are on the wire when the pass loses its lease.
      if (fake.calls.filter((c) => c.method === 'Instance.Provision').length === 2)
        setTimeout(() => controller.abort(new Error('lease lost')), 10);
      return { hang: true };
    });
    const provider = new InfrakitProvider({ objects: ['sim/compute'], plugins, parallelism: 2 });
    const props = provider.validate({ plugin: 'sim/compute' });
    const requests = Array.from({ length: 10 }, () => ({ tags: ownTags, token: 't1' }));
    await expect(provider.provision(props, requests, { signal: controller.signal })).rejects.toThrow(
      'lease lost',
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(ofMethod(fake, 'Instance.Provision')).toHaveLength(2);
  });

  it('destroys with InfraKit reasons, never sends an unknown id, and refuses what is not owned', async () => {
    const { fake, memory, provider, props } = await memoryPlugin();
    const { launched } = await provider.provision(props, [
      { tags: ownTags, token: 't1' },
      { tags: ownTags, token: 't1' },
    ]);
    const [a, b] = launched.map((i) => i.id) as [string, string];
    memory.instances.set('555', { tags: { [TAG_GROUP]: 'web' }, logicalId: null });

    await expect(provider.destroy([a, '555'], owner, 'scale-down')).rejects.toBeInstanceOf(NotOwnedError);
    expect(ofMethod(fake, 'Instance.Destroy')).toHaveLength(0);

    const result = await provider.destroy([a, '../../etc/passwd'], owner, 'scale-down');
    expect(result.destroyed).toEqual([a, '../../etc/passwd']);
    await provider.destroy([b], owner, 'outdated');
    expect(ofMethod(fake, 'Instance.Destroy').map((c) => [c.params.Instance, c.params.Context])).toEqual([
      [a, { Reason: 'terminate' }],
      [b, { Reason: 'rolling_update' }],
    ]);
  });

  it('counts an instance the plugin no longer finds while destroying it as destroyed', async () => {
    const { memory, provider, props } = await memoryPlugin((call) => {
      if (call.method === 'Instance.Destroy') {
        memory.instances.delete(call.params.Instance as string);
        return { error: `not found ${String(call.params.Instance)}` };
      }
      return undefined;
    });
    const { launched } = await provider.provision(props, [{ tags: ownTags, token: 't1' }]);
    const ids = launched.map((i) => i.id);
    await expect(provider.destroy(ids, owner, 'scale-down')).resolves.toEqual({ destroyed: ids });
  });

  it('labels with InfraKit tag names and skips ids no plugin describes', async () => {
    const { fake, provider, props } = await memoryPlugin();
    const { launched } = await provider.provision(props, [{ tags: ownTags, token: 't1' }]);
    await provider.label([launched[0]?.id ?? '', 'nope'], { [TAG_CONFIG_HASH]: 'h2' });
    expect(ofMethod(fake, 'Instance.Label').map((c) => c.params)).toEqual([
      { Type: 'compute', Instance: launched[0]?.id, Labels: { 'infrakit.config.hash': 'h2' } },
    ]);
  });

  it('preflight: the plugin refusing the properties is a validation issue on properties, with its words', async () => {
    const { provider, props } = await memoryPlugin((call) =>
      call.method === 'Instance.Validate'
        ? { error: 'json: cannot unmarshal string into Go value' }
        : undefined,
    );
    const err = await provider.preflight(props).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecValidationError);
    expect((err as SpecValidationError).issues).toEqual([
      { path: 'properties', message: 'the plugin refused them: json: cannot unmarshal string into Go value' },
    ]);
  });

  it('validate refuses a plugin it does not serve; preflight refuses an object the plugin does not have', async () => {
    const { plugins } = await memoryPlugin();
    const provider = new InfrakitProvider({ objects: ['sim/compute', 'sim/disk'], plugins });
    expect(() => provider.validate({ plugin: 'sim/net' })).toThrow(/not a plugin this controller serves/);
    const err = await provider.preflight(provider.validate({ plugin: 'sim/disk' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecValidationError);
    expect((err as SpecValidationError).issues[0]).toMatchObject({
      path: 'plugin',
      message: expect.stringMatching(/no Instance\/0\.6\.1 object named disk \(it serves compute\)/),
    });
  });
});

describe('a plugin that is down, slow or answers garbage', () => {
  it('no socket: a clear error naming the plugin and where it was looked for', async () => {
    const plugins = new InfrakitPlugins({ pluginsDir: '/nonexistent/plugins', callTimeoutMs: 500 });
    const provider = new InfrakitProvider({ objects: ['simulator/compute'], plugins });
    const err = await provider.describe({ tags: { [TAG_GROUP]: 'web' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginUnavailableError);
    expect((err as Error).message).toMatch(
      /infrakit plugin simulator\/compute .*no plugin named simulator in \/nonexistent\/plugins \(is it running\?\)/,
    );
  });

  it('a stale socket (plugin stopped): unreachable', async () => {
    const fake = await startFakePlugin('sim', () => hello({ [INSTANCE]: ['compute'] }));
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 500 });
    const client = plugins.instance(`unix://${fake.socketPath}#compute`);
    await fake.stop();
    await expect(client.describe({})).rejects.toBeInstanceOf(PluginUnavailableError);
  });

  it('no answer: times out within the call budget', async () => {
    const fake = await plugin('sim', () => ({ hang: true }));
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 150 });
    const started = Date.now();
    const err = await plugins
      .instance('sim/compute')
      .describe({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginTimeoutError);
    expect((err as Error).message).toMatch(/sim\/compute .*Handshake\.Hello: no answer within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('an abort rejects at once with its reason', async () => {
    const fake = await plugin('sim', (call) =>
      call.method === 'Handshake.Hello' ? hello({ [INSTANCE]: ['compute'] }) : { hang: true },
    );
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 10_000 });
    const controller = new AbortController();
    const call = plugins.instance('sim/compute').describe({}, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('lease lost')), 50);
    await expect(call).rejects.toThrow('lease lost');
  });

  it.each<[string, FakeAnswer, RegExp, new (...args: never[]) => Error]>([
    ['not JSON', { raw: '<html>oops</html>' }, /not JSON: <html>oops<\/html>/, PluginProtocolError],
    ['an HTTP error', { raw: 'Method Not Allowed', status: 405 }, /HTTP 405, not JSON/, PluginProtocolError],
    ['not JSON-RPC', { raw: '{"Descriptions":[]}' }, /not a JSON-RPC 2\.0 answer/, PluginProtocolError],
    ['the wrong shape', { result: { Descriptions: 'none' } }, /result\.Descriptions/, PluginProtocolError],
    [
      'a description without an id',
      { result: { Descriptions: [{ ID: '1', Tags: {} }, { Tags: {} }] } },
      /result\.Descriptions\.1\.ID/,
      PluginProtocolError,
    ],
    [
      'a JSON-RPC error',
      { error: 'backend exploded' },
      /DescribeInstances: backend exploded$/,
      PluginRpcError,
    ],
    ['a dropped connection', { drop: true }, /unreachable|dropped/, PluginUnavailableError],
  ])(
    '%s: a clear error, never a partial describe, and only its own instances out of reach',
    async (_what, answer, message, type) => {
      const good = memoryInstances();
      const fake = await plugin('sim', (call) => {
        if (call.method === 'Handshake.Hello') return hello({ [INSTANCE]: ['compute', 'disk'] });
        // `compute` answers well; `disk` answers `answer`.
        if (call.params.Type === 'compute') return good.handle(call) ?? { error: 'unexpected' };
        return answer;
      });
      const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 500 });
      const provider = new InfrakitProvider({ objects: ['sim/compute', 'sim/disk'], plugins });
      await provider.provision(provider.validate({ plugin: 'sim/compute' }), [
        { tags: ownTags, token: 't1' },
      ]);
      const err = await provider.describe({ tags: { [TAG_GROUP]: 'web' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(/^infrakit plugin sim\/disk \(unix:\/\/.*\) /);
      expect((err as Error).message).toMatch(message);
      // The objects that answer are described completely on their own.
      const own = await provider.describe({ tags: { [TAG_GROUP]: 'web' }, places: ['sim/compute'] });
      expect(own.map((i) => i.id)).toEqual(['1000']);
      // Destroy acts on nothing when an id it asks for may be on the object that does not answer…
      await expect(provider.destroy(['1000', '4242'], owner, 'scale-down')).rejects.toBeInstanceOf(type);
      expect(ofMethod(fake, 'Instance.Destroy')).toHaveLength(0);
      // …and destroys an owned instance the answering object holds.
      await expect(provider.destroy(['1000'], owner, 'scale-down')).resolves.toEqual({ destroyed: ['1000'] });
      expect(ofMethod(fake, 'Instance.Destroy')).toHaveLength(1);
      expect(good.instances.has('1000')).toBe(false);
    },
  );

  it('a plugin not serving Instance/0.6.1, or serving only named objects, is a mismatch', async () => {
    const fake = await plugin('flav', () => hello({ 'Flavor/0.1.1': ['.'] }));
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 500 });
    await expect(plugins.instance('flav').describe({})).rejects.toThrow(
      /does not serve Instance\/0\.6\.1 \(it serves Flavor\/0\.1\.1\)/,
    );
    const sim = await plugin('sim', () => hello({ [INSTANCE]: ['compute', 'net'] }));
    const simPlugins = new InfrakitPlugins({ pluginsDir: sim.pluginsDir, callTimeoutMs: 500 });
    const err = await simPlugins
      .instance('sim')
      .describe({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginMismatchError);
    expect((err as Error).message).toMatch(/named Instance\/0\.6\.1 objects \(compute, net\): name one/);
  });

  it('handshakes once, and again after a failure', async () => {
    let fail = false;
    const { fake, provider } = await memoryPlugin((call) =>
      fail && call.method === 'Instance.DescribeInstances' ? { raw: 'garbage' } : undefined,
    );
    await provider.describe({});
    await provider.describe({});
    expect(ofMethod(fake, 'Handshake.Hello')).toHaveLength(1);
    fail = true;
    await expect(provider.describe({})).rejects.toBeInstanceOf(PluginProtocolError);
    fail = false;
    await provider.describe({});
    expect(ofMethod(fake, 'Handshake.Hello')).toHaveLength(2);
  });
});

describe('other transports and discovery', () => {
  it('speaks to an http:// endpoint, naming the object after #', async () => {
    const memory = memoryInstances();
    const fake = await plugin(
      'tcp',
      (call) =>
        call.method === 'Handshake.Hello'
          ? hello({ [INSTANCE]: ['compute'] })
          : (memory.handle(call) ?? { error: 'no' }),
      { tcp: true },
    );
    const address = `${fake.url}#compute`;
    const provider = new InfrakitProvider({
      objects: [address],
      plugins: new InfrakitPlugins({ callTimeoutMs: 500 }),
    });
    await provider.provision(provider.validate({ plugin: address }), [{ tags: ownTags, token: 't1' }]);
    expect(await provider.describe({ tags: { [TAG_GROUP]: 'web' } })).toHaveLength(1);
  });

  it("follows a plugin's .listen file to its TCP address, and lists a folder's plugin objects", async () => {
    const fake = await plugin('tcp', () => hello({ [INSTANCE]: ['compute'] }), { tcp: true });
    const unix = await plugin('vanilla', () => hello({ 'Flavor/0.1.1': ['.'], [INSTANCE]: ['a', 'b'] }));
    await writeFile(join(unix.pluginsDir, 'remote.listen'), `tcp://${new URL(fake.url ?? '').host}\n`);
    const plugins = new InfrakitPlugins({ pluginsDir: unix.pluginsDir, callTimeoutMs: 500 });
    // The TCP plugin answers every call with its Hello: reached, though no describe.
    await expect(plugins.instance('remote/compute').describe({})).rejects.toThrow(/result\.Descriptions/);
    expect(fake.calls.map((c) => c.method)).toEqual(['Handshake.Hello', 'Instance.DescribeInstances']);
    expect(await discoverPluginObjects(unix.pluginsDir, 'Flavor/0.1.1')).toEqual(['vanilla']);
    expect(await discoverPluginObjects(unix.pluginsDir, INSTANCE)).toEqual(['vanilla/a', 'vanilla/b']);
  });
});
