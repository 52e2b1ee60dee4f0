import { startDynalite } from '../../test/helpers/dynalite.js';
import { FakeProvider } from '../../test/helpers/fake-provider.js';
import { fakeSpec, newWorld } from '../../test/reconcile/harness.js';
import { runTrial } from '../../test/reconcile/trial.js';
import type { BenchSuite, Figure } from '../types.js';

const GROUPS = 1_000;
const TRIALS = 500;

/** DynamoDB requests of one steady-state sweep over 1,000 converged groups (one instance each). */
async function steadySweep(): Promise<Figure[]> {
  const server = await startDynalite();
  try {
    const w = await newWorld(server, (clock) => new FakeProvider({ now: clock.now, interleave: false }));
    for (let i = 0; i < GROUPS; i++) await w.put(fakeSpec(`g${i}`, { size: 1 }));
    const engine = w.engine('bench');
    for (let pass = 0; pass < 5; pass++) {
      const report = await engine.sweep({ concurrency: 8 });
      if (report.results.every((r) => r.outcome === 'steady')) break;
      w.clock.advance(1_000);
    }
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await w.store.listGroups(cursor ? { cursor } : {});
      pages += 1;
      cursor = page.next;
    } while (cursor);
    const before = { ...w.store.stats };
    const report = await engine.sweep({ concurrency: 8 });
    const steady = report.results.filter((r) => r.outcome === 'steady').length;
    if (steady !== GROUPS) throw new Error(`only ${steady} of ${GROUPS} groups steady`);
    w.close();
    return [
      {
        name: 'sweep.ddb.writes.steady',
        value: w.store.stats.writes - before.writes,
        unit: 'writes',
        goal: '0',
      },
      {
        name: 'sweep.ddb.reads.steady',
        value: w.store.stats.reads - before.reads,
        unit: 'reads',
        goal: `>= ${pages} (listGroups pages)`,
      },
    ];
  } finally {
    await server.stop();
  }
}

/**
 * What must be zero over 500 concurrency trials (8 reconcilers, a moving clock, a crash before each
 * protocol step in turn): duplicates, leaks, groups off their spec, open intents, and provider
 * calls started without a live lease.
 */
async function trials(): Promise<Figure[]> {
  const server = await startDynalite();
  try {
    let bad = 0;
    for (let n = 0; n < TRIALS; n++) {
      const v = await runTrial(server, 0xbe7c4 + n);
      bad += v.duplicates + v.leaks + v.mismatches.length + v.openIntents + v.lateCalls.length;
    }
    return [{ name: `engine.trials.${TRIALS}`, value: bad, unit: 'count', goal: '0' }];
  } finally {
    await server.stop();
  }
}

export const suite: BenchSuite = {
  name: 'engine',
  async run() {
    return [...(await steadySweep()), ...(await trials())];
  },
};
