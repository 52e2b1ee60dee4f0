import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigurationError, SpecValidationError } from '../../src/errors.js';
import { InfrakitFlavor } from '../../src/flavors/infrakit/index.js';
import {
  InfrakitPlugins,
  PluginProtocolError,
  PluginRpcError,
  PluginTimeoutError,
} from '../../src/providers/infrakit/index.js';
import type { InstanceDescription } from '../../src/providers/types.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import { type FakeAnswer, type FakePlugin, hello, startFakePlugin } from '../helpers/fake-infrakit-plugin.js';
import {
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';

const own = { [TAG_CONTROLLER]: 'ctl', [TAG_GROUP]: 'web', [TAG_CONFIG_HASH]: 'h1', [TAG_INTENT]: 't1' };

function instance(id: string, tags: Record<string, string> = own): InstanceDescription {
  return {
    id,
    state: 'running',
    tags,
    launchedAt: 0,
    health: { status: 'unknown' },
    details: { plugin: 'x' },
  };
}

async function issuesOf(work: Promise<unknown>): Promise<readonly { path: string; message: string }[]> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecValidationError))
    throw new Error(`expected a SpecValidationError, got ${String(err)}`);
  return err.issues;
}

describe('infrakit flavor: shape and the synchronous contract', () => {
  const flavor = new InfrakitFlavor({ plugins: new InfrakitPlugins({ pluginsDir: '/nonexistent' }) });

  it('validates the shape only, without asking any plugin, and normalizes deterministically', () => {
    const once = flavor.validate({ plugin: 'vanilla' });
    expect(once).toEqual({ plugin: 'vanilla', properties: {} });
    expect(flavor.validate(once)).toEqual(once);
  });

  it.each([
    [{}, 'plugin'],
    [{ plugin: 'a/b/c' }, 'plugin'],
    [{ plugin: 'vanilla', properties: ['Init'] }, 'properties'],
    [{ plugin: 'vanilla', Init: ['x'] }, 'Init'],
  ])('refuses %j naming %s', (value, path) => {
    let caught: unknown;
    try {
      flavor.validate(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect((caught as SpecValidationError).issues.map((i) => i.path)).toContain(path);
  });

  it('refuses the synchronous prepare and health, which cannot ask a plugin', () => {
    expect(() => flavor.prepare()).toThrow(InvalidConfigurationError);
    expect(() => flavor.health()).toThrow(/Flavor\.Healthy/);
  });
});

describe.runIf(infrakitAvailable())("infrakit flavor on InfraKit's own vanilla plugin", () => {
  let running: RunningPlugins;
  let flavor: InfrakitFlavor;
  let plugins: InfrakitPlugins;

  beforeAll(async () => {
    running = await startInfrakitPlugins(['vanilla', 'simulator']);
    plugins = new InfrakitPlugins({ pluginsDir: running.pluginsDir, callTimeoutMs: 5_000 });
    flavor = new InfrakitFlavor({ plugins });
  });
  afterAll(async () => {
    await running?.stop();
  });

  it('preflight: Flavor.Validate accepts good properties and refuses bad ones in the plugin words', async () => {
    const good = flavor.validate({
      plugin: 'vanilla',
      properties: { Init: ['echo hi'], Tags: { tier: 'web' } },
    });
    await expect(flavor.preflight(good, { size: 2 })).resolves.toBeUndefined();
    const bad = flavor.validate({ plugin: 'vanilla', properties: { Init: 'echo hi' } });
    const issues = await issuesOf(flavor.preflight(bad, { size: 2 }));
    expect(issues).toEqual([
      {
        path: 'properties',
        message: expect.stringMatching(/^the plugin refused them: json: cannot unmarshal string/),
      },
    ]);
  });

  it('preflight: a plugin that is not a flavor is refused on plugin', async () => {
    const issues = await issuesOf(
      flavor.preflight(flavor.validate({ plugin: 'simulator/compute' }), { size: 1 }),
    );
    expect(issues[0]?.path).toBe('plugin');
    expect(issues[0]?.message).toMatch(/does not serve Flavor\/0\.1\.1/);
  });

  it("prepareLaunch: the plugin's init and tags, with the controller's tags, logical id and token kept", async () => {
    const props = flavor.validate({
      plugin: 'vanilla',
      properties: { Init: ['set -e', 'echo two'], Tags: { tier: 'web', [TAG_GROUP]: 'evil' } },
    });
    const tags = { ...own, [TAG_LOGICAL_ID]: 'db-1', team: 'ops' };
    const prepared = await flavor.prepareLaunch(
      props,
      { tags, token: 't1', logicalId: 'db-1', init: 'echo one' },
      { logicalIds: ['db-1'] },
      0,
    );
    expect(prepared).toEqual({
      tags: { ...tags, tier: 'web' },
      token: 't1',
      logicalId: 'db-1',
      init: 'echo one\nset -e\necho two',
    });
  });

  it('healthOf: vanilla reports every instance healthy; drain succeeds', async () => {
    const props = flavor.validate({ plugin: 'vanilla', properties: { Init: ['x'] } });
    const instances = Array.from({ length: 12 }, (_, i) => instance(String(i)));
    expect(await flavor.healthOf(props, instances)).toEqual(instances.map(() => 'healthy'));
    await expect(flavor.drain(props, instances[0] as InstanceDescription)).resolves.toBeUndefined();
    expect(plugins.calls.get('Flavor.Healthy')).toBe(12);
  });
});

describe('infrakit flavor against a plugin of our own', () => {
  let fake: FakePlugin | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  async function flavorAnswering(answer: (method: string, id: string) => FakeAnswer) {
    fake = await startFakePlugin('flav', (call) => {
      if (call.method === 'Handshake.Hello') return hello({ 'Flavor/0.1.1': ['.'] });
      const id = (call.params.Instance as { ID?: string } | undefined)?.ID ?? '';
      return answer(call.method, id);
    });
    const flavor = new InfrakitFlavor({
      plugins: new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 1_000 }),
      healthTimeoutMs: 150,
      drainTimeoutMs: 150,
      healthConcurrency: 2,
    });
    return { flavor, props: flavor.validate({ plugin: 'flav' }), fake };
  }

  it('maps 0, 1, 2 to unknown, healthy, unhealthy, sending InfraKit tag names, two at a time', async () => {
    const verdicts: Record<string, number> = { a: 0, b: 1, c: 2 };
    const {
      flavor,
      props,
      fake: plugin,
    } = await flavorAnswering((_m, id) => ({ result: { Health: verdicts[id] } }));
    const health = await flavor.healthOf(props, [instance('a'), instance('b'), instance('c')]);
    expect(health).toEqual(['unknown', 'healthy', 'unhealthy']);
    const sent = plugin.calls.find((c) => c.method === 'Flavor.Healthy')?.params.Instance as Record<
      string,
      unknown
    >;
    expect(sent.Tags).toMatchObject({ 'infrakit.config.hash': 'h1' });
    expect(plugin.inFlight.max).toBeLessThanOrEqual(2);
  });

  it("prepareLaunch keeps the plugin's own tags, infrakit.* ones too, under the controller's", async () => {
    const { flavor, props } = await flavorAnswering(() => ({
      result: {
        Spec: {
          Tags: { [TAG_GROUP]: 'evil', 'infrakit.cluster.id': 'c1', 'infrakit.config.hash': 'forged' },
          Init: 'join',
        },
      },
    }));
    const prepared = await flavor.prepareLaunch(props, { tags: own, token: 't1' }, { size: 1 }, 0);
    expect(prepared).toEqual({ tags: { ...own, 'infrakit.cluster.id': 'c1' }, token: 't1', init: 'join' });
  });

  it('one instance whose check stalls or answers garbage fails the whole check: no verdict is invented', async () => {
    const { flavor, props } = await flavorAnswering((_m, id) =>
      id === 'slow' ? { hang: true } : id === 'odd' ? { result: { Health: 7 } } : { result: { Health: 1 } },
    );
    const started = Date.now();
    await expect(flavor.healthOf(props, [instance('a'), instance('slow')])).rejects.toBeInstanceOf(
      PluginTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(flavor.healthOf(props, [instance('odd')])).rejects.toBeInstanceOf(PluginProtocolError);
  });

  it('a failed or stalled drain throws, with the plugin words or the timeout', async () => {
    const { flavor, props } = await flavorAnswering((_m, id) =>
      id === 'busy' ? { error: 'node still has running tasks' } : { hang: true },
    );
    const failed = flavor.drain(props, instance('busy'));
    await expect(failed).rejects.toBeInstanceOf(PluginRpcError);
    await expect(failed).rejects.toThrow(/Flavor\.Drain: node still has running tasks/);
    await expect(flavor.drain(props, instance('stuck'))).rejects.toThrow(/no answer within 150 ms/);
  });
});
