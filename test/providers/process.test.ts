import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../src/errors.js';
import { type ProcessExit, ProcessProvider } from '../../src/providers/process/index.js';
import { parseProcStat, processStartTime } from '../../src/providers/process/os-process.js';
import { StateStore } from '../../src/providers/process/state-store.js';
import { TAG_GROUP } from '../../src/tags.js';
import {
  cattleRequests,
  instanceProviderContract,
  ownerOf,
  uniqueGroupId,
} from '../contract/instance-provider.js';
import {
  alive,
  killAllAndRemove,
  killRecorded,
  killStarted,
  launchOneProcess,
  pidsWithEnv,
  recorded,
  type Started,
  tempDataDir,
  waitFor,
  within,
} from './process-helpers.js';

const SLEEP = { command: 'sleep', args: ['30'] };
const ROOT = new URL('../../', import.meta.url).pathname;

instanceProviderContract('process', async () => {
  const dataDir = await tempDataDir();
  const provider = new ProcessProvider({ dataDir, stopGraceMs: 2000 });
  return {
    provider,
    validProperties: SLEEP,
    invalidProperties: [
      { value: {}, path: 'command' },
      { value: { command: '' }, path: 'command' },
      { value: { command: 'sleep', argz: ['30'] }, path: 'argz' },
      { value: { command: 'sleep', args: '30' }, path: 'args' },
      { value: { command: 'sleep', env: { GREETING: 1 } }, path: 'env.GREETING' },
    ],
    unknownId: 'p-0000000000000000',
    killOutOfBand: (id) => killRecorded(dataDir, id),
    async untaggedInstance() {
      const marker = uniqueGroupId('stranger');
      const { launched } = await provider.provision(provider.validate(SLEEP), [
        { tags: { 'contract.stranger': marker }, token: marker },
      ]);
      const id = launched[0]?.id ?? '';
      return {
        id,
        exists: async () => (await provider.describe({ tags: { 'contract.stranger': marker } })).length === 1,
        remove: () => killRecorded(dataDir, id),
      };
    },
    teardown: () => killAllAndRemove(dataDir),
  };
});

describe('process provider', () => {
  let dataDir: string;
  let provider: ProcessProvider;
  const started: Started[] = [];

  beforeEach(async () => {
    dataDir = await tempDataDir();
    provider = new ProcessProvider({ dataDir, stopGraceMs: 300 });
  });

  afterEach(async () => {
    // Also catches processes whose state file is gone but which a broken stop left running.
    await killStarted(started.splice(0));
    await killAllAndRemove(dataDir);
  });

  function launchOne(properties: unknown, init?: string) {
    return launchOneProcess(provider, started, properties, init);
  }

  /** The next exit event for `id` from this provider object. */
  function nextExit(id: string): Promise<ProcessExit> {
    return new Promise((resolve) => {
      const stop = provider.onExit((exit) => {
        if (exit.id !== id) return;
        stop();
        resolve(exit);
      });
    });
  }

  it('a process killed out of band leaves describe, and its state file is cleaned up', async () => {
    const { groupId, instance, pid } = await launchOne(SLEEP);
    process.kill(-pid, 'SIGKILL');
    await waitFor(async () => !(await alive(pid)));
    expect(await provider.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(existsSync(join(dataDir, 'instances', `${instance.id}.json`))).toBe(false);
  });

  it('a state file whose pid now belongs to another process is not reported', async () => {
    // A live process that is not the one recorded: same pid, different start time.
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = stranger.pid ?? 0;
    const startTime = (await processStartTime(pid)) ?? '';
    const store = new StateStore(dataDir);
    await store.init();
    const groupId = uniqueGroupId('reused');
    const base = {
      version: 1 as const,
      pid,
      tags: { [TAG_GROUP]: groupId },
      token: 't',
      launchedAt: 1,
      logFile: '',
    };
    try {
      const reused = store.newId();
      await store.write({ ...base, id: reused, startTime: `${startTime}1` });
      expect(await provider.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
      expect(await store.read(reused)).toBeUndefined();
      expect(await alive(pid)).toBe(true);

      // The same record with the right start time is adopted: the start time alone decided.
      const genuine = store.newId();
      await store.write({ ...base, id: genuine, startTime });
      expect((await provider.describe({ tags: { [TAG_GROUP]: groupId } })).map((i) => i.id)).toEqual([
        genuine,
      ]);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('a second provider object on the same data dir adopts running processes', async () => {
    const groupId = uniqueGroupId('adopt');
    const { launched } = await provider.provision(provider.validate(SLEEP), cattleRequests(groupId, 2));
    for (const i of launched) {
      const pid = Number(i.details?.pid);
      started.push({ pid, startTime: await processStartTime(pid) });
    }
    const restarted = new ProcessProvider({ dataDir, stopGraceMs: 300 });
    const adopted = await restarted.describe({ tags: { [TAG_GROUP]: groupId } });
    expect(adopted.map((i) => [i.id, i.details?.pid]).sort()).toEqual(
      launched.map((i) => [i.id, i.details?.pid]).sort(),
    );
    await restarted.destroy(
      adopted.map((i) => i.id),
      ownerOf(groupId),
      'test: adopted',
    );
    expect(await provider.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    for (const i of launched) expect(await alive(Number(i.details?.pid))).toBe(false);
  });

  it('runs the init script first, then execs the command under the recorded pid', async () => {
    const out = join(dataDir, 'out.txt');
    const init = ['export GREETING=hello-from-init', `echo ran > ${join(dataDir, 'init.marker')}`].join('\n');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, [process.env.GREETING, process.pid, process.env.INFRAKIT_INSTANCE_ID].join(' ')); setInterval(() => {}, 1000);`;
    const { instance, pid } = await launchOne({ command: process.execPath, args: ['-e', script] }, init);
    // The file exists a moment before its content: wait for the content.
    await waitFor(async () => (await readFile(out, 'utf8').catch(() => '')) !== '');
    expect(await readFile(out, 'utf8')).toBe(`hello-from-init ${pid} ${instance.id}`);
    expect(existsSync(join(dataDir, 'init.marker'))).toBe(true);
  });

  it('destroy stops a cooperative process with SIGTERM', async () => {
    const { groupId, instance } = await launchOne(SLEEP);
    const exit = nextExit(instance.id);
    await provider.destroy([instance.id], ownerOf(groupId), 'test: cooperative');
    expect((await within(exit)).signal).toBe('SIGTERM');
  });

  it('destroy escalates to SIGKILL when a process ignores SIGTERM', async () => {
    const ready = join(dataDir, 'ready');
    const script = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);`;
    const { groupId, instance, pid } = await launchOne({ command: process.execPath, args: ['-e', script] });
    // Only once the handler is installed does SIGTERM get ignored.
    await waitFor(() => existsSync(ready));
    const exit = nextExit(instance.id);
    await within(provider.destroy([instance.id], ownerOf(groupId), 'test: stubborn'));
    expect((await within(exit)).signal).toBe('SIGKILL');
    expect(await alive(pid)).toBe(false);
    expect(await provider.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
  });

  it("destroy also stops helpers the init script left in the instance's process group", async () => {
    const helperPidFile = join(dataDir, 'helper.pid');
    // The helper ignores SIGTERM (SIG_IGN survives exec), so only the final group SIGKILL stops it.
    const init = `(trap '' TERM; exec sleep 30) &\necho $! > ${helperPidFile}`;
    const { groupId, instance } = await launchOne(SLEEP, init);
    // `echo $! > file` creates the file before it writes: wait for the pid, not the file.
    const pidIn = async () => (await readFile(helperPidFile, 'utf8').catch(() => '')).trim();
    await waitFor(async () => /^\d+$/.test(await pidIn()));
    const helper = Number(await pidIn());
    started.push({ pid: helper, startTime: await processStartTime(helper) });
    expect(await alive(helper)).toBe(true);
    await provider.destroy([instance.id], ownerOf(groupId), 'test: group');
    await waitFor(async () => !(await alive(helper)));
  });

  it('two controllers destroying the same instance at once both succeed', async () => {
    const { groupId, instance, pid } = await launchOne(SLEEP);
    const other = new ProcessProvider({ dataDir, stopGraceMs: 300 });
    const results = await Promise.all([
      provider.destroy([instance.id], ownerOf(groupId), 'test: a'),
      other.destroy([instance.id], ownerOf(groupId), 'test: b'),
    ]);
    expect(results.map((r) => r.destroyed)).toEqual([[instance.id], [instance.id]]);
    expect(await alive(pid)).toBe(false);
  });

  it('onExit reports a process that exits by itself, with its id and exit code', async () => {
    const { instance } = await launchOne({ command: 'sh', args: ['-c', 'sleep 0.2; exit 3'] });
    const exit = await within(nextExit(instance.id));
    expect(exit).toMatchObject({ id: instance.id, code: 3 });
  });

  it('onExit reports an adopted process (not our child) that dies, within a poll period', async () => {
    const { groupId, instance, pid } = await launchOne(SLEEP);
    const adopter = new ProcessProvider({ dataDir, stopGraceMs: 300, adoptedPollMs: 50 });
    const exits: ProcessExit[] = [];
    const stop = adopter.onExit((exit) => exits.push(exit));
    try {
      expect((await adopter.describe({ tags: { [TAG_GROUP]: groupId } })).map((i) => i.id)).toEqual([
        instance.id,
      ]);
      process.kill(-pid, 'SIGKILL');
      await waitFor(() => exits.length > 0, 2000);
      expect(exits).toEqual([{ id: instance.id, pid, code: null, signal: null, adopted: true, groupId }]);
    } finally {
      stop();
    }
  });

  it('a command that cannot start is an InvalidConfigurationError', async () => {
    await expect(launchOne({ command: join(dataDir, 'no-such-command') })).rejects.toBeInstanceOf(
      InvalidConfigurationError,
    );
    await expect(
      launchOne({ command: 'sleep', args: ['1'], cwd: join(dataDir, 'missing') }),
    ).rejects.toBeInstanceOf(InvalidConfigurationError);
  });

  it('records tags, token and logical id in one state file per instance, written atomically', async () => {
    const groupId = uniqueGroupId('state');
    const tags = { [TAG_GROUP]: groupId, 'infrakit.logical-id': 'db-1', 'infrakit.intent': 'tok-1' };
    const { launched } = await provider.provision(provider.validate(SLEEP), [
      { tags, token: 'tok-1', logicalId: 'db-1' },
    ]);
    const id = launched[0]?.id ?? '';
    expect(id).toMatch(/^p-[0-9a-f]{16}$/);
    expect(await recorded(dataDir, id)).toMatchObject({ tags, token: 'tok-1', logicalId: 'db-1' });
    await provider.label([id], { note: 'x' });
    const files = await readdir(join(dataDir, 'instances'));
    expect(files).toEqual([`${id}.json`]);
  });
});

describe('process provider state files', () => {
  let dataDir: string;
  let provider: ProcessProvider;

  beforeEach(async () => {
    dataDir = await tempDataDir();
    provider = new ProcessProvider({ dataDir, stopGraceMs: 300 });
  });

  afterEach(async () => {
    await killAllAndRemove(dataDir);
  });

  it('describe fails on a corrupt state file instead of silently missing an instance', async () => {
    await mkdir(join(dataDir, 'instances'), { recursive: true });
    await writeFile(join(dataDir, 'instances', 'p-0123456789abcdef.json'), '{"version": 1, "pid"');
    await expect(provider.describe({})).rejects.toThrow(/corrupt process state file/);
  });

  it('describe ignores temp files left by an interrupted write', async () => {
    await mkdir(join(dataDir, 'instances'), { recursive: true });
    await writeFile(join(dataDir, 'instances', 'p-0123456789abcdef.json.tmp-1-abcd'), '{"version"');
    expect(await provider.describe({})).toEqual([]);
  });

  it('label skips a process that has died, and describe then drops its state file', async () => {
    const groupId = uniqueGroupId('label');
    const { launched } = await provider.provision(provider.validate(SLEEP), cattleRequests(groupId, 1));
    const id = launched[0]?.id ?? '';
    await killRecorded(dataDir, id);
    await provider.label([id], { note: 'late' });
    expect((await recorded(dataDir, id)) as { tags?: Record<string, string> }).not.toHaveProperty(
      'tags.note',
    );
    expect(await provider.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(await readdir(join(dataDir, 'instances'))).toEqual([]);
  });
});

describe('process provider crash safety', () => {
  let dataDir: string;
  let marker: string;

  beforeEach(async () => {
    dataDir = await tempDataDir();
    marker = uniqueGroupId('crash');
  });

  afterEach(async () => {
    for (const pid of await pidsWithEnv('CRASH_MARKER', marker)) process.kill(pid, 'SIGKILL');
    await killAllAndRemove(dataDir);
  });

  /** Runs a controller (`process-crash-child.ts`) that SIGKILLs itself right before `step` of a launch. */
  function crashBefore(step: 'spawn' | 'record', groupId: string): Promise<NodeJS.Signals | null> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'test/providers/process-crash-child.ts', dataDir, step, groupId, marker],
        { cwd: ROOT },
      );
      child.once('error', reject);
      child.once('exit', (_code, signal) => resolve(signal));
    });
  }

  async function stateFiles(): Promise<Record<string, unknown>[]> {
    const names = (await readdir(join(dataDir, 'instances'))).filter((n) => n.endsWith('.json'));
    return Promise.all(
      names.map(async (n) => JSON.parse(await readFile(join(dataDir, 'instances', n), 'utf8'))),
    );
  }

  it('a controller killed between spawn and record leaves a process the next one sees and destroys', async () => {
    const groupId = uniqueGroupId('crash');
    expect(await crashBefore('record', groupId)).toBe('SIGKILL');
    // The process runs, and its only trace is a provisional record that names no pid.
    const running = await pidsWithEnv('CRASH_MARKER', marker);
    expect(running).toHaveLength(1);
    const [provisional] = await stateFiles();
    expect(provisional).toMatchObject({ tags: { [TAG_GROUP]: groupId }, token: marker });
    expect(provisional).not.toHaveProperty('pid');

    const next = new ProcessProvider({ dataDir, stopGraceMs: 300 });
    const seen = await next.describe({ tags: { [TAG_GROUP]: groupId } });
    expect(seen.map((i) => [i.id, i.details?.pid, i.tags['infrakit.intent']])).toEqual([
      [provisional?.id, running[0], marker],
    ]);
    // The record is now complete: any later controller adopts it the ordinary way.
    expect(await recorded(dataDir, String(provisional?.id))).toMatchObject({ pid: running[0] });
    await next.destroy([String(provisional?.id)], ownerOf(groupId), 'test: after crash');
    expect(await pidsWithEnv('CRASH_MARKER', marker)).toEqual([]);
    expect(await next.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(await stateFiles()).toEqual([]);
  });

  it('a controller killed before the spawn leaves a provisional record, removed after the grace', async () => {
    const groupId = uniqueGroupId('crash');
    expect(await crashBefore('spawn', groupId)).toBe('SIGKILL');
    expect(await pidsWithEnv('CRASH_MARKER', marker)).toEqual([]);
    expect(await stateFiles()).toHaveLength(1);
    // Within the grace the launch may still be under way: not reported, not removed.
    const patient = new ProcessProvider({ dataDir, provisionalGraceMs: 60_000 });
    expect(await patient.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(await stateFiles()).toHaveLength(1);
    const after = new ProcessProvider({ dataDir, provisionalGraceMs: 0 });
    expect(await after.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(await stateFiles()).toEqual([]);
  });

  it("another provider's describe during a launch neither reports nor removes its provisional record", async () => {
    const groupId = uniqueGroupId('inflight');
    let release = () => {};
    let reached = () => {};
    const atSpawn = new Promise<void>((r) => {
      reached = r;
    });
    const launcher = new ProcessProvider({
      dataDir,
      stopGraceMs: 300,
      beforeLaunchStep: (step) =>
        step === 'spawn'
          ? new Promise<void>((r) => {
              release = r;
              reached();
            })
          : undefined,
    });
    const other = new ProcessProvider({ dataDir, stopGraceMs: 300, provisionalGraceMs: 60_000 });
    const launch = launcher.provision(
      launcher.validate({ ...SLEEP, env: { CRASH_MARKER: marker } }),
      cattleRequests(groupId, 1),
    );
    await within(atSpawn);
    expect(await other.describe({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    expect(await stateFiles()).toHaveLength(1);
    release();
    const { launched } = await within(launch);
    expect((await other.describe({ tags: { [TAG_GROUP]: groupId } })).map((i) => i.id)).toEqual(
      launched.map((i) => i.id),
    );
  });
});

describe('parseProcStat', () => {
  it('reads field 22 after a command name containing spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
    rest[0] = 'S';
    expect(parseProcStat(`42 (odd) name (x)) ${rest.join(' ')}`)).toBe('22');
  });

  it('treats zombies as gone', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
    rest[0] = 'Z';
    expect(parseProcStat(`42 (sleep) ${rest.join(' ')}`)).toBeUndefined();
  });
});
