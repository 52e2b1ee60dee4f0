import { performance } from 'node:perf_hooks';
import { messageOf } from '../../src/errors.js';
import { DESCRIBE_PAGE_SIZE } from '../../src/providers/ec2/describe.js';
import { STATUS_PAGE_SIZE } from '../../src/providers/ec2/health.js';
import type { Ec2Provider } from '../../src/providers/ec2/provider.js';
import type { Engine } from '../../src/reconcile/types.js';
import { configHash, validateSpec } from '../../src/spec/index.js';
import type { GroupStore } from '../../src/store/types.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT } from '../../src/tags.js';
import { newEc2World } from '../../test/e2e/ec2-world.js';
import { startDynalite } from '../../test/helpers/dynalite.js';
import { motoAvailable, startMoto } from '../../test/helpers/moto.js';
import { AMI } from '../../test/providers/ec2-fixtures.js';
import { benchSpec, fakeWorld, groupIds } from '../fake-world.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * `sweep.ec2.*`: EC2 API calls and DynamoDB writes of one steady-state sweep.
 *
 * - On moto, 100 groups of 10 instances (1,000). The instances are launched and adopted first (not
 *   counted); sweeps run until one finds every group steady (the first adopts the instances and
 *   records their state); then one more sweep over the unchanged world is counted: its EC2 calls
 *   (`sweep.ec2.calls.*`) and its DynamoDB writes (`sweep.ec2.writes`, goal 0).
 * - On the paging fake EC2 (test/helpers/fake-ec2.ts: at most 1,000 items per page and a
 *   `NextToken`, EC2's filters), 1,000 groups of 10 instances (10,000), the same way
 *   (`sweep.ec2.10k.*`): the calls counted are the calls EC2 would see.
 *
 * The minimum any design can do is one DescribeInstances page per 1,000 instances plus one
 * DescribeInstanceStatus page per 1,000; InfraKit's group plugin, for comparison, asks its instance
 * plugin to describe each group on every poll: one DescribeInstances (page) per group.
 *
 * A part that cannot reach a steady sweep (or lacks moto) reports its figures as unmeasured with the
 * reason; the other part is measured regardless.
 */
const MOTO_GROUPS = 100;
const FAKE_GROUPS = 1_000;
const SIZE = 10;
/** Sweeps allowed to reach a sweep that finds every group steady. */
const MAX_SWEEPS = 5;

const MOTO: readonly FigureSpec[] = [
  { name: 'sweep.ec2.calls.steady', unit: 'calls', goal: `>= 2 (minimum)` },
  { name: 'sweep.ec2.calls.ratio', unit: 'x', goal: '<= 1.1' },
  { name: 'sweep.ec2.calls.infrakit', unit: 'calls', goal: 'n/a (comparison)' },
  { name: 'sweep.ec2.writes', unit: 'writes', goal: '0' },
];
const FAKE: readonly FigureSpec[] = [
  { name: 'sweep.ec2.10k.calls.steady', unit: 'calls', goal: '>= 20 (minimum)' },
  { name: 'sweep.ec2.10k.calls.ratio', unit: 'x', goal: '<= 1.1' },
  { name: 'sweep.ec2.10k.calls.infrakit', unit: 'calls', goal: 'n/a (comparison)' },
  { name: 'sweep.ec2.10k.writes', unit: 'writes', goal: '0' },
];

const log = (message: string) => process.stderr.write(`  ec2: ${message}\n`);

/**
 * Launches each group's instances through the provider, tagged exactly as the engine tags a launch
 * (controller, group, config hash, intent token): one RunInstances per group. Launching through the
 * engine gives the same instances, but moto re-filters all 1,000 instances for each group's checks
 * under the lease, which would make this setup several minutes longer.
 */
async function launchAll(provider: Ec2Provider, controllerId: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const s = validateSpec({
      ...benchSpec(id, SIZE),
      // No subnetIds: one RunInstances per group and no placement Describe, to keep moto's setup short.
      instance: { provider: 'ec2', properties: { imageId: AMI, instanceType: 't3.micro' } },
    });
    const token = `${id}-bench`;
    const tags = {
      [TAG_CONTROLLER]: controllerId,
      [TAG_GROUP]: id,
      [TAG_CONFIG_HASH]: configHash(s),
      [TAG_INTENT]: token,
    };
    const requests = Array.from({ length: SIZE }, () => ({ token, tags }));
    await provider.provision(provider.validate(s.instance.properties), requests);
  }
}

interface CallCount {
  reset(): void;
  total(): number;
  snapshot(): Readonly<Record<string, number>>;
}

/**
 * Sweeps until a sweep finds every group steady (nothing to launch or terminate; the first sweeps
 * adopt the instances and record their state), then counts one more sweep over the unchanged world:
 * its EC2 calls and its DynamoDB writes. Throws, with what each sweep did, when no sweep within
 * `MAX_SWEEPS` finds every group steady.
 */
async function steadySweep(
  label: string,
  engine: Engine,
  calls: CallCount,
  store: GroupStore,
  groups: number,
): Promise<{ calls: number; writes: number }> {
  const started = performance.now();
  const history: string[] = [];
  const sweep = async (n: number | 'counted') => {
    calls.reset();
    const writes = store.stats.writes;
    const report = await engine.sweep();
    const outcomes = new Map<string, number>();
    for (const r of report.results) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
    const wrote = store.stats.writes - writes;
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    const line = `${label} sweep ${n}: ${JSON.stringify(calls.snapshot())}, ${wrote} writes, ${JSON.stringify(Object.fromEntries(outcomes))}, ${elapsed} s`;
    log(line);
    history.push(line);
    return { steady: outcomes.get('steady') === groups, calls: calls.total(), writes: wrote };
  };
  for (let pass = 1; pass <= MAX_SWEEPS; pass++) {
    if ((await sweep(pass)).steady) {
      const counted = await sweep('counted');
      if (!counted.steady) throw new Error(`the counted sweep was not steady: ${history.at(-1)}`);
      return counted;
    }
  }
  throw new Error(`no sweep found every group steady within ${MAX_SWEEPS} sweeps (${history.join('; ')})`);
}

/** The minimum for `instances`, and InfraKit's calls (one DescribeInstances page per group). */
function references(perGroup: readonly number[]): { minimum: number; infrakit: number } {
  const total = perGroup.reduce((a, b) => a + b, 0);
  const minimum = Math.ceil(total / DESCRIBE_PAGE_SIZE) + Math.ceil(total / STATUS_PAGE_SIZE);
  const infrakit = perGroup.reduce((sum, n) => sum + Math.max(1, Math.ceil(n / DESCRIBE_PAGE_SIZE)), 0);
  return { minimum, infrakit };
}

function figures(
  specs: readonly FigureSpec[],
  counted: { calls: number; writes: number },
  minimum: number,
  infrakit: number,
): Outcome[] {
  const [steady, ratio, ik, writes] = specs as [FigureSpec, FigureSpec, FigureSpec, FigureSpec];
  return [
    { ...steady, value: counted.calls, goal: `>= ${minimum} (minimum)` },
    { ...ratio, value: counted.calls / minimum },
    { ...ik, value: infrakit },
    { ...writes, value: counted.writes },
  ];
}

async function onMoto(): Promise<Outcome[]> {
  if (!motoAvailable()) {
    log('moto server not installed: sweep.ec2.* (1,000 instances) not measured');
    return MOTO.map((s) => unmeasured(s, 'moto server is not installed (python3 -m moto.server)'));
  }
  const [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
  try {
    await moto.reset();
    const w = await newEc2World(moto.endpoint, dynamo, { controllerId: 'bench-controller' });
    try {
      const ids = groupIds(MOTO_GROUPS);
      for (const id of ids) await w.put(benchSpec(id, SIZE));
      await launchAll(w.provider, w.controllerId, ids);
      const counted = await steadySweep('moto', w.engine(), w.provider.calls, w.store, MOTO_GROUPS);

      // Sizes as observed (not as declared), for the minimum and for InfraKit's per-group polls.
      const observed = await w.provider.describe({
        tags: { [TAG_CONTROLLER]: w.controllerId },
        tagKeys: [TAG_GROUP],
      });
      const perGroup = new Map<string, number>();
      for (const i of observed) {
        const g = i.tags[TAG_GROUP] ?? '';
        perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
      }
      if (observed.length !== MOTO_GROUPS * SIZE) {
        throw new Error(`${observed.length} instances, expected ${MOTO_GROUPS * SIZE}`);
      }
      const { minimum, infrakit } = references([...perGroup.values()]);
      return figures(MOTO, counted, minimum, infrakit);
    } finally {
      w.close();
    }
  } finally {
    await moto.reset().catch(() => undefined);
    await Promise.all([moto.stop(), dynamo.stop()]);
  }
}

async function onFake(): Promise<Outcome[]> {
  const dynamo = await startDynalite();
  try {
    const started = performance.now();
    const w = await fakeWorld(dynamo, FAKE_GROUPS, SIZE);
    log(
      `fake: ${FAKE_GROUPS} groups × ${SIZE} instances set up in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    try {
      const fakeCalls: CallCount = {
        reset: () => w.ec2.resetCalls(),
        total: () => w.ec2.calls.length,
        snapshot: () => w.ec2.counts(),
      };
      const counted = await steadySweep('fake', w.engine(), fakeCalls, w.store, FAKE_GROUPS);
      const { minimum, infrakit } = references(w.ids.map(() => SIZE));
      return figures(FAKE, counted, minimum, infrakit);
    } finally {
      w.close();
    }
  } finally {
    await dynamo.stop();
  }
}

async function run(): Promise<Outcome[]> {
  const part = async (specs: readonly FigureSpec[], measure: () => Promise<Outcome[]>) => {
    try {
      return await measure();
    } catch (err) {
      log(`not measured: ${messageOf(err)}`);
      return specs.map((s) => unmeasured(s, messageOf(err)));
    }
  };
  return [...(await part(MOTO, onMoto)), ...(await part(FAKE, onFake))];
}

export const suite: BenchSuite = { name: 'ec2', figures: [...MOTO, ...FAKE], timeoutMs: 15 * 60_000, run };
