import { execFile } from 'node:child_process';
import { lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrakitPlugins, type InstancePlugin } from '../../src/providers/infrakit/index.js';
import {
  INFRAKIT_SCRIPT,
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';
import { freePort } from '../helpers/moto.js';
import { type ControllerProcess, cli, useControllers, waitFor } from './harness.js';

const execFileP = promisify(execFile);

/**
 * `npm start -- --plugins-dir … --infrakit-socket` driven by Docker InfraKit's own CLI: its group
 * sub-commands (`commit-group`, `ls`, `groups`, `inspect`, `scale`, `destroy-instance`,
 * `free-group`, `destroy`) reach this controller through the `group` socket, and the controller
 * converges InfraKit's real simulator plugin. Each output is what InfraKit prints for its own group
 * plugin, with this controller's answers in it.
 */
describe.runIf(infrakitAvailable())("InfraKit's CLI drives the local controller", () => {
  const fx = useControllers('infrakit-cli');
  let running: RunningPlugins | undefined;
  let simulator: InstancePlugin;
  let controller: ControllerProcess | undefined;
  let url: string;

  /** `infrakit local group <args…>` with the plugins' home; never throws, a failure is its exit code. */
  const ik = async (...args: string[]) => {
    if (!running) throw new Error('the simulator is not running');
    const env = { ...process.env, INFRAKIT_HOME: running.home, HOME: running.home };
    try {
      const { stdout, stderr } = await execFileP(INFRAKIT_SCRIPT, ['local', 'group', ...args], {
        env,
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  };

  /** The group's members as the simulator itself lists them. */
  const members = async (id: string) =>
    (await simulator.describe({ 'infrakit.group': id })).map((i) => i.id).sort();

  const converges = (id: string, count: number) =>
    waitFor(
      `${count} members of ${id} in the simulator`,
      async () => {
        const now = await members(id);
        return now.length === count ? now : undefined;
      },
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${controller?.output() ?? ''}`);
    });

  const specFile = async (name: string, spec: unknown) => {
    const file = join(fx.dir(), name);
    await writeFile(file, JSON.stringify(spec));
    return file;
  };

  const workers = {
    ID: 'workers',
    Properties: {
      Allocation: { Size: 3 },
      Instance: { Plugin: 'simulator/compute', Properties: { note: 'from infrakit' } },
      Flavor: { Plugin: 'vanilla', Properties: { Init: ['echo hi'] } },
    },
  };

  beforeAll(async () => {
    running = await startInfrakitPlugins(['simulator']);
    simulator = new InfrakitPlugins({ pluginsDir: running.pluginsDir, callTimeoutMs: 5_000 }).instance(
      'simulator/compute',
    );
    const port = await freePort();
    controller = await fx.start([
      '--port',
      String(port),
      '--sweep-interval',
      '1',
      '--plugins-dir',
      running.pluginsDir,
      '--infrakit-socket',
    ]);
    url = controller.url;
  });

  afterAll(async () => {
    await controller?.kill('SIGKILL');
    await running?.stop();
  });

  it('commits, lists, inspects, scales, destroys members, frees and destroys a group as InfraKit would', async () => {
    const file = await specFile('workers.json', workers);

    // --pretend: the plan, nothing stored.
    const pretend = await ik('commit-group', '--pretend', file);
    expect(pretend.stdout).toBe('Committing workers would involve: launch 3 (scale-up 0→3)\n');
    expect((await cli(url, 'group', 'get', 'workers')).code).toBe(1);

    // The commit creates version 1; the controller converges the simulator to 3.
    const commit = await ik('commit-group', file);
    expect(commit.code, commit.stderr).toBe(0);
    expect(commit.stdout).toMatch(
      /^Committed workers: Managing 3 instances \(version 1, ETag "1-[0-9a-f]+"\)\n$/,
    );
    const three = await converges('workers', 3);

    // ls: InfraKit's member table, the simulator's ids with InfraKit's tag names.
    const hash = /infrakit\.config\.hash=([0-9a-f]+)/;
    const ls = await waitFor(
      'ls listing the 3 members',
      async () => {
        const out = await ik('ls', 'workers', '--quiet');
        return out.stdout.trim().split('\n').length === 3 ? out.stdout : undefined;
      },
      20_000,
    );
    const rows = ls
      .trim()
      .split('\n')
      .map((line) => line.split('\t').map((c) => c.trim()));
    expect(rows.map((r) => r[0]).sort()).toEqual(three);
    for (const row of rows) {
      expect(row[1]).toBe('-');
      // Every tag the plugin reports, sorted as InfraKit prints them: the controller's own included.
      const tags = (row[2] ?? '').split(',');
      expect(tags).toEqual([...tags].sort());
      expect(tags).toContain('infrakit.group=workers');
      expect(tags.some((t) => /^infrakit\.config\.hash=[0-9a-f]+$/.test(t))).toBe(true);
      expect(tags.some((t) => t.startsWith('infrakit.controller='))).toBe(true);
    }
    const got = JSON.parse((await cli(url, '--json', 'group', 'get', 'workers')).stdout) as {
      status: { configHash: string };
    };
    expect(hash.exec(rows[0]?.[2] ?? '')?.[1]).toBe(got.status.configHash);
    expect((await ik('ls', 'workers')).stdout.split('\n')[0]).toMatch(/^ID\s+LOGICAL\s+TAGS$/);

    // info api: what the socket implements, as InfraKit lists a plugin's interfaces.
    expect((await ik('info', 'api')).stdout).toMatch(
      /Implements: Group\/0\.1\.1[\s\S]*Method: Group\.CommitGroup/,
    );

    // groups and inspect: the group, and its spec in InfraKit's format.
    expect((await ik('groups')).stdout).toBe('ID\nworkers\n');
    const inspect = await ik('inspect', 'workers');
    expect(JSON.parse(inspect.stdout)).toEqual(workers);

    // scale: InfraKit's two lines; the simulator follows.
    expect((await ik('scale', 'workers')).stdout).toBe('Group workers at 3 instances\n');
    expect((await ik('scale', 'workers', '5')).stdout).toBe('Group workers at 3 instances, scale to 5\n');
    const five = await converges('workers', 5);

    // destroy-instance: exactly that member goes, and the group shrinks by one.
    const victim = five[0] as string;
    expect((await ik('destroy-instance', 'workers', victim)).stdout).toBe('Initiated.\n');
    const four = await converges('workers', 4);
    expect(four).toEqual(five.slice(1));
    expect((await ik('scale', 'workers')).stdout).toBe('Group workers at 4 instances\n');

    // free-group: no longer managed, the instances stay.
    expect((await ik('free-group', 'workers')).stdout).toBe('Freed workers\n');
    expect((await cli(url, 'group', 'get', 'workers')).code).toBe(1);
    expect(await members('workers')).toEqual(four);

    // Committed again, the group adopts its 4 members and scales them to 3; destroy empties the simulator.
    expect((await ik('commit-group', file)).code).toBe(0);
    const adopted = await converges('workers', 3);
    expect(four).toEqual(expect.arrayContaining(adopted));
    expect((await ik('destroy', 'workers')).stdout).toBe('Destroy workers initiated\n');
    await converges('workers', 0);
  }, 180_000);

  it("answers errors as JSON-RPC errors InfraKit's CLI prints, and changes nothing", async () => {
    const missing = await ik('ls', 'nosuch');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Error: group nosuch not found');

    const bad = await ik(
      'commit-group',
      await specFile('bad.json', {
        ID: 'bad',
        Properties: { Allocation: {}, Instance: { Plugin: 'simulator/compute' } },
      }),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Error: invalid spec: Properties.Allocation: needs Size or LogicalIDs');
    expect((await cli(url, 'group', 'get', 'bad')).code).toBe(1);

    const stranger = await ik('destroy-instance', 'nosuch', 'i-1');
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('Error: group nosuch not found');
  }, 60_000);
});

describe.runIf(infrakitAvailable())('the group socket across controller restarts', () => {
  const fx = useControllers('infrakit-socket');

  /** Starts a controller serving the `group` socket in `home/plugins`, with data of its own. */
  const start = async (home: string, data: string) =>
    fx.start([
      '--port',
      String(await freePort()),
      '--data-dir',
      join(fx.dir(), data),
      '--plugins-dir',
      join(home, 'plugins'),
      '--infrakit-socket',
    ]);

  it('refuses a name another controller serves, removes it on exit, and replaces a stale one', async () => {
    const home = join(fx.dir(), 'home');
    const socket = join(home, 'plugins', 'group');
    const first = await start(home, 'data-1');
    expect((await lstat(socket)).mode & 0o777).toBe(0o600);

    // A second controller on the same name does not start, and says why.
    await expect(start(home, 'data-2')).rejects.toThrow(
      /plugins\/group is already served by a running process/,
    );

    // SIGTERM: the socket goes with the controller.
    await first.kill('SIGTERM');
    await expect(lstat(socket)).rejects.toThrow(/ENOENT/);

    // SIGKILL leaves a stale socket behind; the next start replaces it, and InfraKit's CLI reaches it.
    const killed = await start(home, 'data-2');
    await killed.kill('SIGKILL');
    expect((await lstat(socket)).isSocket()).toBe(true);
    await start(home, 'data-3');
    const { stdout } = await execFileP(INFRAKIT_SCRIPT, ['local', 'group', 'groups'], {
      env: { ...process.env, INFRAKIT_HOME: home, HOME: home },
      timeout: 60_000,
    });
    expect(stdout).toBe('ID\n');
  }, 120_000);
});
