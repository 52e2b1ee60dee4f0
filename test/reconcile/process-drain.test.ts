import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessProvider } from '../../src/providers/process/index.js';
import { useDynalite } from '../helpers/dynalite.js';
import { alive, waitFor } from '../providers/process-helpers.js';
import { fakeSpec, newWorld } from './harness.js';

/**
 * The drain of the `process` provider on the real engine: a group with `lifecycle` asks a
 * terminating process to stop (SIGTERM) and gives it `drainTimeoutSeconds`, across passes, before
 * SIGKILL. Time is the engine's clock; the processes are real.
 */

const server = useDynalite();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infrakit-process-drain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A node process that notes each SIGTERM in `termFile` and exits on it only when `exits`. */
function script(termFile: string, exits: boolean): string {
  return [
    `process.on('SIGTERM', () => { require('fs').appendFileSync(${JSON.stringify(termFile)}, 'TERM\\n');`,
    exits ? ' process.exit(0);' : '',
    ' });',
    // Ready only once the handler is in place: a SIGTERM before it would simply kill the process.
    ` require('fs').writeFileSync(${JSON.stringify(`${termFile}.ready`)}, '');`,
    ' setInterval(() => {}, 1e9);',
  ].join('');
}

async function group(name: string, exits: boolean, lifecycle: Record<string, unknown> = {}) {
  const termFile = join(dir, `${name}.term`);
  const w = await newWorld(
    server(),
    (clock) => new ProcessProvider({ dataDir: join(dir, name), now: clock.now }),
  );
  const spec = (size: number) =>
    fakeSpec(
      name,
      { size },
      {
        instance: {
          provider: 'process',
          properties: { command: 'node', args: ['-e', script(termFile, exits)] },
        },
        lifecycle: { drainTimeoutSeconds: 30, ...lifecycle },
      },
    );
  await w.put(spec(1));
  const engine = w.engine();
  expect((await engine.reconcileGroup(name)).launched).toBe(1);
  const [instance] = await w.provider.describe({ tags: { 'infrakit.group': name } });
  const pid = Number(instance?.details?.pid);
  await waitFor(async () => (await alive(pid)) && existsSync(`${termFile}.ready`), 30_000);
  await w.put(spec(0));
  const log = join(dir, name, 'logs', `${instance?.id}.log`);
  return { w, engine, pid, termFile, log, id: instance?.id ?? '' };
}

describe('process provider drain: SIGTERM, then SIGKILL after drainTimeoutSeconds', () => {
  it('a process that ignores SIGTERM is killed once drainTimeoutSeconds has passed, not before', async () => {
    const { w, engine, pid, termFile } = await group('stubborn', false);
    expect((await engine.reconcileGroup('stubborn')).terminated).toBe(0);
    await waitFor(() => existsSync(termFile), 30_000);
    w.clock.advance(29_000);
    expect((await engine.reconcileGroup('stubborn')).terminated).toBe(0);
    expect(await alive(pid)).toBe(true);
    w.clock.advance(2_000);
    expect((await engine.reconcileGroup('stubborn')).terminated).toBe(1);
    await waitFor(async () => !(await alive(pid)), 30_000);
    expect((await w.store.getGroup('stubborn'))?.state.openIntents).toEqual([]);
  }, 60_000);

  it('a process that exits on SIGTERM ends the drain on the next pass, with no kill', async () => {
    const { w, engine, pid, termFile } = await group('polite', true);
    expect((await engine.reconcileGroup('polite')).terminated).toBe(0);
    await waitFor(async () => existsSync(termFile) && !(await alive(pid)), 30_000);
    const next = await engine.reconcileGroup('polite');
    expect(next.outcome).toBe('acted');
    expect((await w.store.getGroup('polite'))?.state.openIntents).toEqual([]);
    expect(await w.provider.describe({ tags: { 'infrakit.group': 'polite' } })).toEqual([]);
  }, 60_000);

  it('with a terminating hook, SIGTERM comes only once the hook is answered', async () => {
    const { w, engine, pid, termFile, log, id } = await group('hooked', true, {
      terminating: { timeoutSeconds: 600 },
    });
    expect((await engine.reconcileGroup('hooked')).terminated).toBe(0);
    w.clock.advance(10_000);
    await engine.reconcileGroup('hooked');
    // The provider notes each stop in the instance's log before it signals.
    expect(await readFile(log, 'utf8')).not.toContain('SIGTERM');
    expect(await alive(pid)).toBe(true);
    await w.store.markLifecycleDone('hooked', id, 'continue');
    await engine.reconcileGroup('hooked');
    expect(await readFile(log, 'utf8')).toContain('SIGTERM');
    await waitFor(async () => existsSync(termFile) && !(await alive(pid)), 30_000);
    await engine.reconcileGroup('hooked');
    expect((await w.store.getGroup('hooked'))?.state.openIntents).toEqual([]);
  }, 60_000);

  it('a launching hook keeps a new process out of service; abandoned at the timeout, it gets SIGTERM and a successor', async () => {
    const name = 'booting';
    const termFile = join(dir, `${name}.term`);
    const w = await newWorld(
      server(),
      (clock) => new ProcessProvider({ dataDir: join(dir, name), now: clock.now }),
    );
    await w.put(
      fakeSpec(
        name,
        { size: 1 },
        {
          instance: {
            provider: 'process',
            properties: { command: 'node', args: ['-e', script(termFile, true)] },
          },
          lifecycle: { drainTimeoutSeconds: 30, launching: { timeoutSeconds: 60, defaultResult: 'abandon' } },
        },
      ),
    );
    const engine = w.engine();
    expect((await engine.reconcileGroup(name)).launched).toBe(1);
    const [first] = await w.provider.describe({ tags: { 'infrakit.group': name } });
    const pid = Number(first?.details?.pid);
    await waitFor(async () => (await alive(pid)) && existsSync(`${termFile}.ready`), 30_000);
    w.clock.advance(30_000);
    await engine.reconcileGroup(name);
    const waiting = await engine.status(name);
    expect(waiting?.instances.map((i) => [i.id, i.launching !== undefined])).toEqual([[first?.id, true]]);
    expect(waiting?.converged).toBe(false);
    expect(existsSync(termFile)).toBe(false);
    // The timeout's abandon: drained like any termination (SIGTERM), and the process exits by itself.
    w.clock.advance(31_000);
    await engine.reconcileGroup(name);
    await waitFor(async () => existsSync(termFile) && !(await alive(pid)), 30_000);
    await engine.reconcileGroup(name);
    await engine.reconcileGroup(name);
    const now = await w.provider.describe({ tags: { 'infrakit.group': name } });
    expect(now).toHaveLength(1);
    expect(now[0]?.id).not.toBe(first?.id);
    expect((await engine.status(name))?.instances[0]?.launching).toBeDefined();
    await w.provider.destroy(
      now.map((i) => i.id),
      { controllerId: now[0]?.tags['infrakit.controller'] ?? '', groupId: name },
      'test over',
    );
  }, 60_000);
});
