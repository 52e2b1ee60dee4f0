import { performance } from 'node:perf_hooks';
import { DESCRIBE_PAGE_SIZE } from '../../src/providers/ec2/describe.js';
import { STATUS_PAGE_SIZE } from '../../src/providers/ec2/health.js';
import type { Ec2Provider } from '../../src/providers/ec2/provider.js';
import type { Engine } from '../../src/reconcile/types.js';
import { configHash, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import type { DynamoGroupStore } from '../../src/store/index.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT } from '../../src/tags.js';
import { newEc2World } from '../../test/e2e/ec2-world.js';
import { startDynalite } from '../../test/helpers/dynalite.js';
import { motoAvailable, startMoto } from '../../test/helpers/moto.js';
import { AMI } from '../../test/providers/ec2-fixtures.js';
import type { BenchSuite, Figure } from '../types.js';

/**
 * `sweep.ec2.*`: EC2 API calls of one steady-state sweep over 100 groups of 10 instances on moto.
 * The groups' instances are launched and adopted first (not counted); then the provider's call
 * counter is reset and a sweep that finds every group steady is counted. The minimum any design can
 * do is one DescribeInstances page per 1,000 instances plus one DescribeInstanceStatus page per
 * 1,000; InfraKit's group plugin, for comparison, asks its instance plugin to describe each group
 * on every poll: one DescribeInstances (page) per group.
 *
 * moto is slow with 1,000 instances (a whole-region Describe takes seconds, a group's ~1 s), so the
 * setup takes a few minutes; the counted sweep itself is a couple of requests.
 */
const GROUPS = 100;
const SIZE = 10;

function spec(id: string): GroupSpecInput {
  return {
    id,
    allocation: { size: SIZE },
    // No subnetIds: one RunInstances per group and no placement Describe, to keep moto's setup short.
    instance: { provider: 'ec2', properties: { imageId: AMI, instanceType: 't3.micro' } },
    health: { gracePeriodSeconds: 0, unhealthyTimeoutSeconds: 0 },
  };
}

const log = (message: string) => process.stderr.write(`  ec2: ${message}\n`);

/**
 * Launches each group's instances through the provider, tagged exactly as the engine tags a
 * launch (controller, group, config hash, intent token): one RunInstances per group. Launching through the
 * engine gives the same instances, but moto re-filters all 1,000 instances for each group's
 * checks under the lease, which would make this setup several minutes longer.
 */
async function launchAll(provider: Ec2Provider, controllerId: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const s = validateSpec(spec(id));
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

/**
 * Sweeps until a sweep finds every group steady, counting the EC2 calls of each sweep from zero;
 * returns the calls of that steady sweep. The first sweeps adopt the instances and record their
 * health (writes under each group's lease); the steady one writes nothing at all.
 */
async function steadySweep(engine: Engine, provider: Ec2Provider, store: DynamoGroupStore) {
  const started = performance.now();
  for (let pass = 1; pass <= 5; pass++) {
    provider.calls.reset();
    const writes = store.stats.writes;
    const report = await engine.sweep();
    const steady = report.results.filter((r) => r.outcome === 'steady').length;
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    log(
      `sweep ${pass}: ${JSON.stringify(provider.calls.snapshot())}, ${store.stats.writes - writes} writes, ${elapsed} s`,
    );
    if (steady === GROUPS && store.stats.writes === writes) return provider.calls.total();
    if (report.results.some((r) => r.outcome === 'failed')) throw new Error('a pass failed');
  }
  throw new Error('no steady sweep after 5 sweeps');
}

async function run(): Promise<Figure[]> {
  if (!motoAvailable()) {
    log('moto server not installed: sweep.ec2.* not measured');
    return [];
  }
  const [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
  try {
    await moto.reset();
    const w = await newEc2World(moto.endpoint, dynamo);
    const ids = Array.from({ length: GROUPS }, (_, g) => `g${g.toString().padStart(3, '0')}`);
    for (const id of ids) await w.put(spec(id));
    await launchAll(w.provider, w.controllerId, ids);
    const calls = await steadySweep(w.engine(), w.provider, w.store);

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
    const total = observed.length;
    if (total !== GROUPS * SIZE) throw new Error(`${total} instances, expected ${GROUPS * SIZE}`);
    const minimum = Math.ceil(total / DESCRIBE_PAGE_SIZE) + Math.ceil(total / STATUS_PAGE_SIZE);
    let infrakit = 0;
    for (const n of perGroup.values()) infrakit += Math.max(1, Math.ceil(n / DESCRIBE_PAGE_SIZE));
    w.close();
    return [
      { name: 'sweep.ec2.calls.steady', value: calls, unit: 'calls', goal: `>= ${minimum} (minimum)` },
      { name: 'sweep.ec2.calls.ratio', value: calls / minimum, unit: 'x', goal: '<= 1.1' },
      { name: 'sweep.ec2.calls.infrakit', value: infrakit, unit: 'calls', goal: 'n/a (comparison)' },
    ];
  } finally {
    await moto.reset().catch(() => undefined);
    await Promise.all([moto.stop(), dynamo.stop()]);
  }
}

export const suite: BenchSuite = { name: 'ec2', run };
