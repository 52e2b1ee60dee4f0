import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugins, PROVIDER_PLUGINS, providerPlugins } from '../../src/plugins/catalog.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import type { InfrakitProvider } from '../../src/providers/infrakit/provider.js';
import { ProcessProvider } from '../../src/providers/process/index.js';
import { createAwsRuntime } from '../../src/runtime/aws.js';

/**
 * One plugin list for every place that runs the controller: what each environment builds from it,
 * and why the rest does not run there.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infrakit-plugins-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the plugin catalog', () => {
  it('names every provider once, each with a summary', () => {
    const names = PROVIDER_PLUGINS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['ec2', 'process', 'infrakit']));
    for (const p of PROVIDER_PLUGINS) expect(p.summary.length).toBeGreaterThan(0);
  });

  it('refuses an unknown plugin name, listing the known ones', () => {
    expect(() => providerPlugins(['ec2', 'gce'])).toThrow(
      /unknown provider plugin "gce" \(known: ec2, process, infrakit\)/,
    );
  });

  it('builds ec2 only in a deployed stack, saying why the others do not run there', async () => {
    const built = await buildPlugins({
      where: 'aws',
      controllerId: 'stack-1',
      env: { AWS_REGION: 'eu-west-1' },
    });
    expect([...built.providers.keys()]).toEqual(['ec2']);
    expect(built.providers.get('ec2')).toBeInstanceOf(Ec2Provider);
    expect(built.lookupInstanceGroup).toBeTypeOf('function');
    expect(built.unavailable.map((u) => u.name).sort()).toEqual(['infrakit', 'process']);
    expect([...built.flavors.keys()]).toEqual(['vanilla']);
  });

  it('builds process locally, ec2 only with an endpoint, infrakit only with a plugins folder', async () => {
    const bare = await buildPlugins({ where: 'local', controllerId: 'local-1', env: {}, dataDir: dir });
    expect([...bare.providers.keys()]).toEqual(['process']);
    expect(bare.providers.get('process')).toBeInstanceOf(ProcessProvider);
    expect(Object.fromEntries(bare.unavailable.map((u) => [u.name, u.reason]))).toEqual({
      ec2: 'local mode manages ec2 groups only with --ec2-endpoint',
      infrakit: 'no --plugins-dir given (nor INFRAKIT_PLUGINS)',
    });
    const full = await buildPlugins({
      where: 'local',
      controllerId: 'local-1',
      env: {},
      dataDir: dir,
      ec2Endpoint: 'http://127.0.0.1:1',
      pluginsDir: join(dir, 'no-plugins-here'),
    });
    expect([...full.providers.keys()].sort()).toEqual(['ec2', 'infrakit', 'process']);
    expect(full.unavailable).toEqual([]);
  });

  it('the Lambda runtime builds the providers its stack enables, and fails on an unknown one', async () => {
    const env = { TABLE_NAME: 't', INFRAKIT_CONTROLLER_ID: 'stack-1', AWS_REGION: 'eu-west-1' };
    const runtime = await createAwsRuntime({ ...env });
    expect([...runtime.providers.keys()]).toEqual(['ec2']);
    await expect(createAwsRuntime({ ...env, INFRAKIT_PROVIDERS: 'ec2,gce' })).rejects.toThrow(
      /unknown provider plugin "gce"/,
    );
  });

  it('InfraKit plugins: deployed only those configured, locally those too beside the plugins folder', async () => {
    const plugins = JSON.stringify([
      { name: 'ecs', address: 'lambda:arn:aws:lambda:eu-west-1:123456789012:function:ecs' },
    ]);
    const env = { TABLE_NAME: 't', INFRAKIT_CONTROLLER_ID: 'stack-1', AWS_REGION: 'eu-west-1' };
    const deployed = await createAwsRuntime({
      ...env,
      INFRAKIT_PROVIDERS: 'ec2,infrakit',
      INFRAKIT_PLUGINS: plugins,
    });
    expect([...deployed.providers.keys()]).toEqual(['ec2', 'infrakit']);
    expect((deployed.providers.get('infrakit') as InfrakitProvider).objects).toEqual(['ecs']);
    // Asked to build infrakit without plugins, a stack says why (it is listed unavailable, not built).
    const without = await createAwsRuntime({ ...env, INFRAKIT_PROVIDERS: 'ec2,infrakit' });
    expect([...without.providers.keys()]).toEqual(['ec2']);

    const local = await buildPlugins({
      where: 'local',
      controllerId: 'local-1',
      env: { INFRAKIT_PLUGINS: plugins },
      dataDir: dir,
      pluginsDir: join(dir, 'no-plugins-here'),
    });
    expect((local.providers.get('infrakit') as InfrakitProvider).objects).toEqual(['ecs']);
  });
});
