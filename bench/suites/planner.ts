import { performance } from 'node:perf_hooks';
import { plan } from '../../src/plan/index.js';
import type { ObservedInstance, PlanInput } from '../../src/plan/types.js';
import { type GroupSpec, validateSpec } from '../../src/spec/index.js';
import type { BenchSuite, Figure } from '../types.js';

/**
 * `planner.*`: one planning pass over many groups, as a sweep does. The inputs are built first
 * (not timed); then every group is planned once per run. A realistic mix: most groups steady,
 * some scaling up or down, some in a rolling update, some with unhealthy or failed instances, and
 * a tenth of them pets.
 */
const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const HASH = 'cafe0000cafe0000';
const OLD = 'dead0000dead0000';
const RUNS = 9;
const WARMUP = 3;

const base = validateSpec({
  id: 'bench',
  allocation: { size: 1 },
  instance: { provider: 'ec2', properties: { imageId: 'ami-12c6146b', instanceType: 't3.micro' } },
  update: { maxSurge: 2, maxUnavailable: 1, minHealthySeconds: 60 },
});

/** A small deterministic generator, so every run plans the same world. */
function generator(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function instance(g: number, i: number, o: Partial<ObservedInstance> = {}): ObservedInstance {
  return {
    id: `i-${g.toString(16).padStart(5, '0')}${i.toString(16).padStart(4, '0')}`,
    configHash: HASH,
    state: 'running',
    launchedAt: NOW - (600 - i) * MINUTE,
    health: 'healthy',
    healthSince: NOW - (590 - i) * MINUTE,
    protected: false,
    ...o,
  };
}

/** One group of `n` instances (observed), of the given kind. */
function group(g: number, n: number, kind: number, pets: boolean, rnd: () => number): PlanInput {
  const instances: ObservedInstance[] = [];
  for (let i = 0; i < n; i += 1) {
    let o: Partial<ObservedInstance> = {};
    if (kind === 2 && i % 2 === 0) o = { configHash: OLD }; // rolling: half updated
    if (kind === 3 && i === 0) o = { health: 'unhealthy', healthSince: NOW - 30 * MINUTE };
    if (kind === 3 && i === 1) o = { state: 'stopped' };
    if (pets) o = { ...o, logicalId: `node-${i}` };
    instances.push(instance(g, i, o));
  }
  // Providers return instances in no particular order: shuffle, so the planner's sort is measured.
  for (let i = instances.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rnd() * (i + 1));
    [instances[i], instances[j]] = [instances[j] as ObservedInstance, instances[i] as ObservedInstance];
  }
  // Scaling groups declare a size that differs from what runs (up or down by 2).
  const declared = kind === 1 ? (g % 2 === 0 ? n + 2 : Math.max(0, n - 2)) : n;
  const allocation: GroupSpec['allocation'] = pets
    ? { logicalIds: Array.from({ length: declared }, (_, i) => `node-${i}`) }
    : { size: declared };
  return {
    spec: { ...base, id: `g-${g}`, allocation },
    configHash: HASH,
    instances,
    pending: { launches: [], terminations: [] },
  };
}

/** `groups` groups holding `instances` instances in total (sizes 5 to 15 around the mean). */
function world(groups: number, instances: number): PlanInput[] {
  const rnd = generator(groups);
  const mean = instances / groups;
  const out: PlanInput[] = [];
  let left = instances;
  for (let g = 0; g < groups; g += 1) {
    const n = g === groups - 1 ? left : Math.max(1, Math.round(mean + (rnd() - 0.5) * mean));
    left -= n;
    const r = rnd();
    const kind = r < 0.6 ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3; // steady, scaling, rolling, unhealthy
    out.push(group(g, n, kind, rnd() < 0.1, rnd));
  }
  return out;
}

function pass(inputs: readonly PlanInput[]): number {
  const start = performance.now();
  let actions = 0;
  for (const input of inputs) actions += plan(input, NOW).actions.length;
  const ms = performance.now() - start;
  if (actions === 0) throw new Error('the benchmark world produced no actions: the mix is wrong');
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function measure(groups: number, instances: number): number {
  const inputs = world(groups, instances);
  for (let i = 0; i < WARMUP; i += 1) pass(inputs);
  return median(Array.from({ length: RUNS }, () => pass(inputs)));
}

export const suite: BenchSuite = {
  name: 'planner',
  async run(): Promise<readonly Figure[]> {
    const small = measure(1_000, 10_000);
    const large = measure(10_000, 100_000);
    return [
      { name: 'planner.10k.ms', value: small, unit: 'ms', goal: '<= 30' },
      { name: 'planner.100k.ms', value: large, unit: 'ms', goal: '<= 300' },
      { name: 'planner.scaling.ratio', value: large / small, unit: 'x', goal: '<= 12' },
    ];
  },
};
