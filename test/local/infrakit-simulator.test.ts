import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrakitPlugins } from '../../src/providers/infrakit/index.js';
import {
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';
import { freePort } from '../helpers/moto.js';
import { type ControllerProcess, cli, cliJson, useControllers, waitFor } from './harness.js';

/**
 * `npm start -- --plugins-dir …` end to end against Docker InfraKit's own `simulator` plugin: a
 * real controller process, driven by the CLI, with the simulator's instances counted and destroyed
 * out of band through the plugin itself.
 */
describe.runIf(infrakitAvailable())('local mode on the real InfraKit simulator', () => {
  const fx = useControllers('infrakit-sim');
  const groupId = 'sim-five';
  const object = 'simulator/compute';
  let running: RunningPlugins | undefined;
  let simulator: ReturnType<InfrakitPlugins['instance']>;
  let port: number;
  let controller: ControllerProcess | undefined;

  const start = () => {
    if (!running) throw new Error('the simulator is not running');
    return fx.start(['--port', String(port), '--sweep-interval', '1', '--plugins-dir', running.pluginsDir]);
  };

  /** The group's instances as the simulator itself describes them (its own view, not ours). */
  const members = () => simulator.describe({ 'infrakit.group': groupId });

  /**
   * A spec file for group `id` of `size` on the simulator, with the plugin properties `note` (if
   * any), no grace period, and `extra` top-level YAML lines (flavor, update…).
   */
  const writeSimSpec = async (
    id: string,
    size: number,
    options: { note?: string; extra?: string[] } = {},
  ) => {
    const file = join(fx.dir(), `${id}-${options.note ?? 'spec'}.yaml`);
    const yaml = [
      `id: ${id}`,
      'allocation:',
      `  size: ${size}`,
      'instance:',
      '  provider: infrakit',
      '  properties:',
      `    plugin: ${object}`,
      ...(options.note ? ['    properties:', `      note: ${options.note}`] : ['    properties: {}']),
      'health:',
      '  gracePeriodSeconds: 0',
      ...(options.extra ?? []),
      '',
    ].join('\n');
    await writeFile(file, yaml);
    return file;
  };

  const writeSpec = (note: string, size: number) =>
    writeSimSpec(groupId, size, { note, extra: ['update:', '  maxSurge: 1', '  maxUnavailable: 0'] });

  beforeAll(async () => {
    running = await startInfrakitPlugins(['simulator', 'vanilla']);
    simulator = new InfrakitPlugins({ pluginsDir: running.pluginsDir, callTimeoutMs: 5_000 }).instance(
      object,
    );
    port = await freePort();
    controller = await start();
  });

  afterAll(async () => {
    await controller?.kill('SIGKILL');
    await running?.stop();
  });

  it('converges, heals, rolls within maxSurge, survives a SIGKILL mid-launch, and destroys to 0', async () => {
    const url = `http://127.0.0.1:${port}`;
    const watch = async () => {
      const out = await cli(url, 'group', 'watch', groupId, '--timeout', '20', '--interval', '0.2');
      expect(out.code, `${out.stdout}${out.stderr}\n${controller?.output() ?? ''}`).toBe(0);
    };

    // A group of 5 converges on the simulator.
    const commit = await cli(url, 'group', 'commit', await writeSpec('v1', 5));
    expect(commit.stderr).toBe('');
    expect(commit.code).toBe(0);
    await watch();
    const first = await members();
    expect(first).toHaveLength(5);

    // A member destroyed through the simulator (an id it described) is replaced.
    const victim = first[0]?.id as string;
    await simulator.destroy(victim, 'terminate');
    const healed = await waitFor(
      'a replacement in the simulator',
      async () => {
        const now = await members();
        return now.length === 5 && !now.some((i) => i.id === victim) ? now : undefined;
      },
      15_000,
    );
    expect(healed.map((i) => i.id)).toEqual(expect.arrayContaining(first.slice(1).map((i) => i.id)));

    // A rolling update replaces all 5, never above 5 + maxSurge (nor below 5 - maxUnavailable) in
    // the simulator, sampled between polls.
    const before = new Set(healed.map((i) => i.id));
    const update = await cli(url, 'group', 'commit', await writeSpec('v2', 5));
    expect(update.code).toBe(0);
    let peak = 0;
    let low = Number.POSITIVE_INFINITY;
    const rolled = await waitFor(
      'all 5 replaced',
      async () => {
        const now = await members();
        peak = Math.max(peak, now.length);
        low = Math.min(low, now.length);
        return now.length === 5 && now.every((i) => !before.has(i.id)) ? now : undefined;
      },
      30_000,
      50,
    );
    expect(peak).toBeLessThanOrEqual(6);
    expect(low).toBeGreaterThanOrEqual(5);
    expect(new Set(rolled.map((i) => i.tags['infrakit.config-hash'])).size).toBe(1);
    await watch();

    // Scale to 8 and SIGKILL the controller at the first sign of its launches (the launch intent is
    // committed before the first Provision), a few hundred ms at most after the scale; restart it:
    // exactly 8, no duplicates.
    const scale = await cli(url, 'group', 'scale', groupId, '8');
    expect(scale.code).toBe(0);
    const scaledAt = Date.now();
    let atKill = await members();
    while (atKill.length <= 5 && Date.now() - scaledAt < 1_500) atKill = await members();
    await controller?.kill('SIGKILL');
    expect(atKill.length).toBeLessThanOrEqual(8);
    controller = await start();
    await watch();
    // The dead controller's lease expires (15 s locally); only then can the restarted one finish an
    // open intent. A pass reported steady (no open intent, nothing to do) is after that.
    const passes: string[] = [];
    await waitFor(
      'a steady pass of the restarted controller',
      async () => {
        const out = await cliJson<{ outcome?: string }>(url, 'group', 'reconcile', groupId);
        passes.push(out.outcome ?? 'busy');
        return out.outcome === 'steady';
      },
      25_000,
      250,
    );
    const settled = await members();
    expect(settled, `passes: ${passes.join(', ')}`).toHaveLength(8);
    expect(new Set(settled.map((i) => i.id)).size).toBe(8);

    // Destroy leaves nothing in the simulator.
    const destroy = await cli(url, 'group', 'destroy', groupId, '--wait', '--timeout', '20');
    expect(destroy.code).toBe(0);
    expect(await members()).toHaveLength(0);
    expect((await cli(url, 'group', 'get', groupId)).code).toBe(1);
  }, 90_000);

  it('heals a member destroyed in the plugin long before the next sweep: the plugin watch plays the event', async () => {
    if (!running) throw new Error('the simulator is not running');
    const watchedPort = await freePort();
    // A sweep every 5 minutes: only the watch (every 0.5 s) can notice the loss within the test.
    const watcher = await fx.start([
      '--port',
      String(watchedPort),
      '--data-dir',
      join(fx.dir(), 'data-watch'),
      '--sweep-interval',
      '300',
      '--plugin-watch-interval',
      '0.5',
      '--plugins-dir',
      running.pluginsDir,
    ]);
    const url = `http://127.0.0.1:${watchedPort}`;
    const id = 'sim-watched';
    const file = await writeSimSpec(id, 2);
    try {
      expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
      const converged = await cli(url, 'group', 'watch', id, '--timeout', '20', '--interval', '0.2');
      expect(converged.code, converged.stdout + converged.stderr).toBe(0);
      const first = await simulator.describe({ 'infrakit.group': id });
      expect(first).toHaveLength(2);
      // The watch's first look only learns what there is: let it look.
      await new Promise((r) => setTimeout(r, 1_500));
      const victim = first[0]?.id as string;
      await simulator.destroy(victim, 'terminate');
      await waitFor(
        'a replacement before the next sweep',
        async () => {
          const now = await simulator.describe({ 'infrakit.group': id });
          return now.length === 2 && !now.some((i) => i.id === victim) ? true : undefined;
        },
        20_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${watcher.output()}`);
      });
      // Healed by a pass the watch asked for (the line comes once the pass has ended).
      const healedBy = new RegExp(`${id}  launch 1 .*\\[plugin instances changed`);
      await waitFor(
        'the pass line',
        async () => (healedBy.test(watcher.output()) ? true : undefined),
        10_000,
      );
      const destroy = await cli(url, 'group', 'destroy', id, '--wait', '--timeout', '20');
      expect(destroy.code).toBe(0);
    } finally {
      await watcher.kill('SIGKILL');
    }
  });

  it("commits InfraKit's own group JSON naming the simulator and InfraKit's vanilla flavor", async () => {
    const url = `http://127.0.0.1:${port}`;
    const id = 'sim-imported';
    const file = join(fx.dir(), `${id}.json`);
    await writeFile(
      file,
      JSON.stringify({
        ID: id,
        Properties: {
          Allocation: { Size: 2 },
          Instance: { Plugin: object, Properties: { note: 'imported' } },
          Flavor: { Plugin: 'vanilla', Properties: { Init: ['echo hi'], Tags: { role: 'sim' } } },
        },
      }),
    );
    const commit = await cli(url, 'group', 'commit', file);
    expect(commit.stderr).toBe('');
    expect(commit.code).toBe(0);
    const watch = await cli(url, 'group', 'watch', id, '--timeout', '20', '--interval', '0.2');
    expect(watch.code).toBe(0);
    const imported = await simulator.describe({ 'infrakit.group': id });
    expect(imported).toHaveLength(2);
    for (const i of imported) expect(i.tags).toMatchObject({ 'infrakit.group': id, role: 'sim' });

    const destroy = await cli(url, 'group', 'destroy', id, '--wait', '--timeout', '20');
    expect(destroy.code).toBe(0);
    expect(await simulator.describe({ 'infrakit.group': id })).toHaveLength(0);
  });

  it("prepares launches and judges health through InfraKit's vanilla flavor plugin (flavor kind infrakit)", async () => {
    const url = `http://127.0.0.1:${port}`;
    const id = 'sim-flavored';
    const file = await writeSimSpec(id, 2, {
      extra: [
        'flavor:',
        '  kind: infrakit',
        '  properties:',
        '    plugin: vanilla',
        '    properties:',
        '      Init: [echo flavored]',
        '      Tags: { role: flavored }',
      ],
    });
    const commit = await cli(url, 'group', 'commit', file);
    expect(commit.stderr).toBe('');
    expect(commit.code).toBe(0);
    const watch = await cli(url, 'group', 'watch', id, '--timeout', '20', '--interval', '0.2');
    expect(watch.code).toBe(0);
    const flavored = await simulator.describe({ 'infrakit.group': id });
    expect(flavored).toHaveLength(2);
    // The plugin's Prepare added its tag; the controller's own tags stayed on top.
    for (const i of flavored) expect(i.tags).toMatchObject({ 'infrakit.group': id, role: 'flavored' });
    const got = await cli(url, '--json', 'group', 'get', id);
    const doc = JSON.parse(got.stdout) as { status: { instances: { health: string }[] } };
    // InfraKit's vanilla answers Healthy = 1 for every instance.
    expect(doc.status.instances.map((i) => i.health)).toEqual(['healthy', 'healthy']);

    const destroy = await cli(url, 'group', 'destroy', id, '--wait', '--timeout', '20');
    expect(destroy.code).toBe(0);
    expect(await simulator.describe({ 'infrakit.group': id })).toHaveLength(0);
  });
});
