import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalController, startLocalController } from '../src/local/controller.js';
import { validateSpec } from '../src/spec/index.js';

/**
 * A local controller (as `npm start` runs it: 5 s sweeps, no examples) on a fresh data folder,
 * with one `process` group of `size` long sleepers, launched; for the suites that kill instances.
 */
export async function startLocalGroup(
  prefix: string,
  group: string,
  size: number,
): Promise<{ controller: LocalController; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `infrakit-bench-${prefix}-`));
  const controller = await startLocalController(
    {
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      sweepIntervalSeconds: 5,
      pluginWatchIntervalSeconds: 3,
      examples: false,
      tableName: 'infrakit',
    },
    { print: (l) => process.env.BENCH_DEBUG && console.error(l) },
  );
  const close = async () => {
    await controller.store.markDestroying(group, Date.now()).catch(() => undefined);
    await controller.engine.reconcileGroup(group).catch(() => undefined);
    await controller.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const spec = validateSpec({
      id: group,
      allocation: { size },
      instance: { provider: 'process', properties: { command: 'sleep', args: ['100000'] } },
      health: { gracePeriodSeconds: 0 },
    });
    await controller.store.putSpec(spec, { createOnly: true, now: Date.now() });
    await controller.engine.reconcileGroup(group);
  } catch (err) {
    await close();
    throw err;
  }
  return { controller, close };
}
