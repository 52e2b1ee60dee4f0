import { pidAlive } from '../../test/helpers/pid.js';
import { startLocalGroup } from '../local-group.js';
import type { BenchSuite } from '../types.js';

/**
 * `local.heal.p50.s`: in local mode, from SIGKILLing an instance process to its replacement
 * running, over 20 kills. The exit notification triggers the reconcile; the sweep (5 s, as in
 * `npm start`) is only the safety net, so the figure shows the notification path.
 */

const KILLS = 20;
const GROUP = 'bench-heal';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const suite: BenchSuite = {
  name: 'local',
  async run() {
    const { controller, close } = await startLocalGroup('local', GROUP, 3);
    const pidsOf = async (): Promise<number[]> =>
      ((await controller.engine.status(GROUP))?.instances ?? [])
        .map((i) => Number(i.details?.pid))
        .filter((pid) => Number.isInteger(pid) && pidAlive(pid));
    const waitFor = async (ok: (pids: number[]) => boolean): Promise<number[]> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const pids = await pidsOf();
        if (ok(pids)) return pids;
        if (Date.now() > deadline) throw new Error(`no convergence: ${pids.join(', ')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const samples: number[] = [];
    try {
      let pids = await waitFor((p) => p.length === 3);
      for (let i = 0; i < KILLS; i++) {
        const victim = pids[i % pids.length] as number;
        const started = performance.now();
        process.kill(victim, 'SIGKILL');
        pids = await waitFor((p) => p.length === 3 && !p.includes(victim));
        samples.push((performance.now() - started) / 1000);
      }
      await controller.store.markDestroying(GROUP, Date.now());
      await controller.engine.reconcileGroup(GROUP);
      await waitFor((p) => p.length === 0);
    } finally {
      await close();
    }
    samples.sort((a, b) => a - b);
    return [
      { name: 'local.heal.p50.s', value: percentile(samples, 50), unit: 's', goal: '<= 1' },
      { name: 'local.heal.max.s', value: samples.at(-1) ?? Number.NaN, unit: 's', goal: 'informative' },
    ];
  },
};
