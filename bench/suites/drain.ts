import { converge, ec2Spec, startMotoEc2 } from '../../test/e2e/ec2-world.js';
import { playedTargets, targetGroup } from '../../test/e2e/elb-fixtures.js';
import { motoAvailable } from '../../test/helpers/moto.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * `drain.*`: what a drained termination costs. On moto's EC2 and ELBv2, a group of 10 behind one
 * target group (deregistration delay 60 s) is scaled to 5: the engine deregisters the 5, waits
 * across passes, and terminates them. moto has no `draining` state, so a deregistered target is
 * played as draining until the delay (test/e2e/elb-fixtures.ts); time is the engine's clock,
 * advanced one minute per sweep as the deployed schedule (rate 1 minute) would.
 *
 * - `drain.passes`: sweeps from the scale-down until the 5 are terminated and no intent is open
 *   (the minimum is 2: deregister, then terminate once the delay has passed).
 * - `drain.calls.per_termination`: every EC2 and ELBv2 request of those sweeps, over 5.
 * - `drain.elbv2.calls.per_termination`: the ELBv2 share of it.
 */
const SIZE = 10;
const KEEP = 5;
const DELAY_SECONDS = 60;
const SCHEDULE_MS = 60_000;
const MAX_SWEEPS = 10;

const PASSES: FigureSpec = {
  name: 'drain.passes',
  unit: 'passes',
  goal: '2 (minimum: deregister, then terminate)',
};
const CALLS: FigureSpec = {
  name: 'drain.calls.per_termination',
  unit: 'calls',
  goal: 'informative (lower is better)',
};
const ELBV2: FigureSpec = {
  name: 'drain.elbv2.calls.per_termination',
  unit: 'calls',
  goal: 'informative (lower is better)',
};
const FIGURES: readonly FigureSpec[] = [PASSES, CALLS, ELBV2];

async function measure(): Promise<Outcome[]> {
  const env = await startMotoEc2();
  try {
    const { net } = env;
    const draining = new Set<string>();
    const w = await env.world({ targets: (real) => playedTargets(real, { draining }) });
    const arn = await targetGroup(w, net, 'bench-drain', DELAY_SECONDS);
    const lb = { loadBalancers: { targetGroupArns: [arn] } };
    await w.put(ec2Spec('bench-drain', SIZE, net, {}, lb));
    const engine = w.engine();
    await converge(engine, ['bench-drain']);
    if ((await w.live('bench-drain')).length !== SIZE) throw new Error(`could not reach ${SIZE} instances`);
    await w.put(ec2Spec('bench-drain', KEEP, net, {}, lb));
    const mark = w.sent.length;
    let passes = 0;
    for (; passes < MAX_SWEEPS; ) {
      passes += 1;
      await engine.sweep({ ids: ['bench-drain'] });
      const record = await w.store.getGroup('bench-drain');
      if (w.terminated().length >= SIZE - KEEP && record?.state.openIntents.length === 0) break;
      w.advance(SCHEDULE_MS);
    }
    const terminated = w.terminated().length;
    if (terminated !== SIZE - KEEP)
      return FIGURES.map((f) =>
        unmeasured(f, `terminated ${terminated} of ${SIZE - KEEP} within ${MAX_SWEEPS} sweeps`),
      );
    const calls = w.sent.slice(mark);
    const elbv2 = calls.filter((c) => /Target/.test(c.command)).length;
    return [
      { ...PASSES, value: passes },
      { ...CALLS, value: calls.length / terminated },
      { ...ELBV2, value: elbv2 / terminated },
    ];
  } finally {
    await env.stop();
  }
}

export const suite: BenchSuite = {
  name: 'drain',
  figures: FIGURES,
  timeoutMs: 5 * 60_000,
  async run() {
    if (!motoAvailable()) return FIGURES.map((f) => unmeasured(f, 'moto server is not installed'));
    return measure();
  },
};
