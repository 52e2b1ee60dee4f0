import { runBadRollout } from '../../test/e2e/bad-rollout.js';
import { startMotoEc2 } from '../../test/e2e/ec2-world.js';
import { motoAvailable } from '../../test/helpers/moto.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * `rollout.bad-ami.*`: on moto, a group of 5 with maxSurge 1 and maxUnavailable 1 commits v1
 * (healthy), then v2 whose instances never pass health (the run's flavor says so: moto cannot fail
 * status checks). The healthy v1 instances are counted after every sweep until the rollout halts
 * and the automatic rollback is written: the lowest count is the figure (goal: size −
 * maxUnavailable, never less), with the sweeps that took (informative).
 */
const SIZE = 5;
const MAX_UNAVAILABLE = 1;
const MAX_FAILED = 3;
const MAX_SWEEPS = 30;

const MIN_HEALTHY: FigureSpec = {
  name: 'rollout.bad-ami.min-healthy',
  unit: 'instances',
  goal: `= ${SIZE - MAX_UNAVAILABLE} (size − maxUnavailable)`,
};
const SWEEPS: FigureSpec = {
  name: 'rollout.bad-ami.sweeps-to-rollback',
  unit: 'sweeps',
  goal: `informative (maxFailedReplacements ${MAX_FAILED})`,
};
const FIGURES: readonly FigureSpec[] = [MIN_HEALTHY, SWEEPS];

async function measure(): Promise<Outcome[]> {
  const env = await startMotoEc2();
  try {
    const { net } = env;
    const w = await env.world();
    const run = await runBadRollout(w, net, {
      groupId: 'bench-bad-ami',
      size: SIZE,
      maxUnavailable: MAX_UNAVAILABLE,
      maxFailedReplacements: MAX_FAILED,
      maxSweeps: MAX_SWEEPS,
    });
    if (run.v1Ids.length !== SIZE)
      return FIGURES.map((f) => unmeasured(f, `v1 reached ${run.v1Ids.length} of ${SIZE} instances`));
    if (run.sweepsToRollback === undefined)
      return FIGURES.map((f) => unmeasured(f, `no rollback within ${MAX_SWEEPS} sweeps`));
    return [
      { ...MIN_HEALTHY, value: run.lowestHealthy },
      { ...SWEEPS, value: run.sweepsToRollback },
    ];
  } finally {
    await env.stop();
  }
}

export const suite: BenchSuite = {
  name: 'rollout',
  figures: FIGURES,
  timeoutMs: 3 * 60_000,
  async run() {
    if (!motoAvailable()) return FIGURES.map((f) => unmeasured(f, 'moto server is not installed'));
    return measure();
  },
};
