import { beforeEach, describe, expect, it } from 'vitest';
import type { EventDeps } from '../../src/events/context.js';
import { dispatchEvent } from '../../src/events/registry.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import type { Log } from '../../src/log.js';
import type { InstanceOwner, ProvisionRequest } from '../../src/providers/types.js';
import { createEngine } from '../../src/reconcile/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import { validateSpec } from '../../src/spec/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import { useDynalite } from '../helpers/dynalite.js';
import { FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { fixtureEvent } from './fixtures.js';

/** The fake provider, also recording the order of launches and terminations across calls. */
class OrderedFakeProvider extends FakeProvider {
  readonly order: string[] = [];
  override async provision(properties: Record<string, unknown>, requests: readonly ProvisionRequest[]) {
    this.order.push(`launch ${requests.length}`);
    return super.provision(properties, requests);
  }
  override async destroy(ids: readonly string[], owner: InstanceOwner, reason: string) {
    this.order.push(`terminate ${[...ids].sort().join(',')}`);
    return super.destroy(ids, owner, reason);
  }
}

const server = useDynalite();
let store: DynamoGroupStore;
let provider: OrderedFakeProvider;
let engine: Engine;
let engineCalls: string[];
let lookups: string[];
let lookupAnswer: string | undefined;
let deps: EventDeps;

beforeEach(async () => {
  store = new DynamoGroupStore({ client: server().client(), tableName: await server().newTable('events') });
  provider = new OrderedFakeProvider({ name: 'fake', interleave: false });
  const real = createEngine({
    store,
    providers: new Map([['fake', provider]]),
    flavors: new Map([['vanilla', vanillaFlavor]]),
    owner: 'events-test',
    controllerId: TEST_CONTROLLER_ID,
  });
  engineCalls = [];
  // Records each call and hands it on unchanged, options included: the tests run exactly the
  // passes the handler asks for (urgent ones go straight to the lease).
  engine = {
    ...real,
    reconcileGroup: (id, options) => {
      engineCalls.push(
        `reconcile ${id}${options?.urgent ? ' urgent' : ''}${options?.retryRejected ? ' retry-rejected' : ''}`,
      );
      return real.reconcileGroup(id, options);
    },
    sweep: (options) => {
      engineCalls.push(`sweep ${[...(options?.ids ?? [])].join(',')}`);
      return real.sweep(options);
    },
  };
  lookups = [];
  lookupAnswer = undefined;
  deps = {
    store,
    engine,
    lookupInstanceGroup: async (id) => {
      lookups.push(id);
      return lookupAnswer;
    },
    busyRetryDelaysMs: [],
  };
});

async function createGroup(id: string, size: number, extra: Record<string, unknown> = {}) {
  const spec = validateSpec({ id, allocation: { size }, instance: { provider: 'fake' }, ...extra });
  await store.putSpec(spec, { createOnly: true, now: Date.now() });
  await engine.reconcileGroup(id);
  engineCalls.length = 0;
  provider.order.length = 0;
  return provider.ofGroup(id).map((i) => i.id);
}

const nowIso = () => new Date().toISOString();

describe('EC2 Instance State-change Notification', () => {
  it('terminated: finds the group through the instance index and launches the replacement now', async () => {
    const [victim] = await createGroup('web', 2);
    provider.kill(victim ?? '');
    const outcome = await dispatchEvent(
      fixtureEvent('aws.ec2', 'state-change-terminated', { instanceId: victim ?? '' }),
      deps,
    );
    expect(outcome).toMatchObject({ action: 'reconciled', groupIds: ['web'] });
    expect(outcome.results[0]).toMatchObject({ outcome: 'acted', launched: 1 });
    expect(engineCalls).toEqual(['reconcile web urgent']);
    expect(provider.ofGroup('web')).toHaveLength(2);
    expect(lookups).toEqual([]);
  });

  it.each(['stopping', 'stopped', 'shutting-down'])('%s: reconciles the group', async (state) => {
    const [victim] = await createGroup('web', 1);
    const outcome = await dispatchEvent(
      fixtureEvent('aws.ec2', `state-change-${state}`, { instanceId: victim ?? '' }),
      deps,
    );
    expect(outcome.action).toBe('reconciled');
    expect(engineCalls).toEqual(['reconcile web urgent']);
  });

  it('falls back to one provider lookup for an instance the index does not know', async () => {
    await createGroup('web', 1);
    lookupAnswer = 'web';
    const outcome = await dispatchEvent(
      fixtureEvent('aws.ec2', 'state-change-terminated', { instanceId: 'i-0feed' }),
      deps,
    );
    expect(lookups).toEqual(['i-0feed']);
    expect(outcome.action).toBe('reconciled');
    expect(engineCalls).toEqual(['reconcile web urgent']);
  });

  it('an instance that is not ours costs one lookup and nothing more', async () => {
    await createGroup('web', 1);
    const before = store.stats.writes;
    const outcome = await dispatchEvent(fixtureEvent('aws.ec2', 'state-change-terminated'), deps);
    expect(outcome.action).toBe('not-ours');
    expect(lookups).toEqual(['i-1234567890abcdef0']);
    expect(engineCalls).toEqual([]);
    expect(store.stats.writes).toBe(before);
  });

  it('pending and running need nothing, not even a lookup', async () => {
    for (const state of ['pending', 'running']) {
      const outcome = await dispatchEvent(fixtureEvent('aws.ec2', `state-change-${state}`), deps);
      expect(outcome.action).toBe('ignored');
    }
    expect(lookups).toEqual([]);
    expect(engineCalls).toEqual([]);
  });

  it('retries shortly when another reconciler holds the lease', async () => {
    const [victim] = await createGroup('web', 1);
    let first = true;
    const busyOnce: Engine = {
      ...engine,
      reconcileGroup: async (id, options) => {
        if (!first) return engine.reconcileGroup(id, options);
        first = false;
        engineCalls.push(`busy ${id}${options?.urgent ? ' urgent' : ''}`);
        return { groupId: id, outcome: 'busy', launched: 0, terminated: 0 };
      },
    };
    provider.kill(victim ?? '');
    const event = fixtureEvent('aws.ec2', 'state-change-terminated', { instanceId: victim ?? '' });
    const outcome = await dispatchEvent(event, { ...deps, engine: busyOnce, busyRetryDelaysMs: [1] });
    expect(outcome.results[0]).toMatchObject({ outcome: 'acted', launched: 1 });
    expect(engineCalls).toEqual(['busy web urgent', 'reconcile web urgent']);
  });
});

describe('Spot interruption and rebalance', () => {
  it('spot warning: the replacement launch is issued before the doomed instance is terminated', async () => {
    const [doomed] = await createGroup('web', 2);
    const event = fixtureEvent('aws.ec2', 'spot-interruption-warning', {
      instanceId: doomed ?? '',
      time: nowIso(),
    });
    const outcome = await dispatchEvent(event, deps);
    expect(outcome.results[0]).toMatchObject({ outcome: 'acted', launched: 1 });
    expect(engineCalls).toEqual(['reconcile web urgent']);
    expect(provider.order).toEqual(['launch 1']);
    expect(provider.instances.has(doomed ?? '')).toBe(true);
    // Later passes (the next event or sweep) finish the job once the replacement is healthy.
    for (let i = 0; i < 3 && provider.instances.has(doomed ?? ''); i++) await engine.reconcileGroup('web');
    expect(provider.order[0]).toBe('launch 1');
    expect(provider.order).toContain(`terminate ${doomed}`);
    expect(provider.order.indexOf(`terminate ${doomed}`)).toBeGreaterThan(0);
    expect(provider.ofGroup('web')).toHaveLength(2);
    expect(provider.instances.has(doomed ?? '')).toBe(false);
  });

  it('rebalance: ignored for groups that did not opt in', async () => {
    const [instance] = await createGroup('web', 1);
    const event = fixtureEvent('aws.ec2', 'rebalance-recommendation', {
      instanceId: instance ?? '',
      time: nowIso(),
    });
    const outcome = await dispatchEvent(event, deps);
    expect(outcome.action).toBe('ignored');
    expect((await store.getGroup('web'))?.state.retiring).toEqual({});
    expect(provider.order).toEqual([]);
  });

  it('rebalance: replaced launch-first for groups with health.replaceOnRebalance', async () => {
    const [instance] = await createGroup('web', 1, { health: { replaceOnRebalance: true } });
    const event = fixtureEvent('aws.ec2', 'rebalance-recommendation', {
      instanceId: instance ?? '',
      time: nowIso(),
    });
    const outcome = await dispatchEvent(event, deps);
    expect(outcome.results[0]).toMatchObject({ launched: 1 });
    expect(engineCalls).toEqual(['reconcile web urgent']);
    expect(provider.order[0]).toBe('launch 1');
    expect(Object.keys((await store.getGroup('web'))?.state.retiring ?? {})).toEqual([instance]);
  });
});

describe('instances of a group whose record is gone (freed, or removed after DELETE)', () => {
  /** A logger keeping every entry, to check how the event was reported. */
  function recordingLog() {
    const entries: { level: string; message: string }[] = [];
    const at =
      (level: string) =>
      (message: string): void => {
        entries.push({ level, message });
      };
    const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    return { log, entries };
  }

  /** Removes the group record as `POST /free` does; the instance index and the instances stay. */
  async function forget(id: string) {
    const record = await store.getGroup(id);
    await store.deleteGroup(id, record?.version ?? 0);
  }

  it('spot warning: not ours, a debug line, no reconcile, no stray record', async () => {
    const [doomed] = await createGroup('old', 1);
    await forget('old');
    const { log, entries } = recordingLog();
    const event = fixtureEvent('aws.ec2', 'spot-interruption-warning', {
      instanceId: doomed ?? '',
      time: nowIso(),
    });
    const outcome = await dispatchEvent(event, { ...deps, log });
    expect(outcome).toMatchObject({ action: 'not-ours', groupIds: [], results: [] });
    expect(outcome.reason).toMatch(/group old, which no longer exists/);
    expect(engineCalls).toEqual([]);
    expect(entries.filter((e) => e.level !== 'debug')).toEqual([]);
    expect(entries.map((e) => e.message)).toContain('instance of a group that no longer exists; ignored');
    expect(await store.getGroup('old')).toBeUndefined();
    expect(provider.order).toEqual([]);
  });

  it('rebalance: not ours when the group is gone, also when it goes between the read and the mark', async () => {
    const [instance] = await createGroup('old', 1, { health: { replaceOnRebalance: true } });
    const stale = await store.getGroup('old');
    await forget('old');
    const event = fixtureEvent('aws.ec2', 'rebalance-recommendation', {
      instanceId: instance ?? '',
      time: nowIso(),
    });
    const gone = await dispatchEvent(event, deps);
    expect(gone).toMatchObject({ action: 'not-ours', groupIds: [] });
    // Race: the handler read the record just before the group was freed.
    const racing = Object.assign(Object.create(store) as DynamoGroupStore, {
      getGroup: async () => stale,
    });
    const raced = await dispatchEvent(event, { ...deps, store: racing });
    expect(raced).toMatchObject({ action: 'not-ours', groupIds: [] });
    expect(engineCalls).toEqual([]);
    expect(await store.getGroup('old')).toBeUndefined();
  });

  it('Health scheduledChange: the instances of a gone group are skipped, the others retire', async () => {
    const [orphan] = await createGroup('old', 1);
    await forget('old');
    const [live] = await createGroup('web', 1);
    const startTime = new Date(Date.now() + 86_400_000).toUTCString();
    const event = fixtureEvent('aws.health', 'scheduled-change-ec2', { startTime });
    const both = {
      ...event,
      detail: { ...event.detail, affectedEntities: [{ entityValue: orphan }, { entityValue: live }] },
    };
    const outcome = await dispatchEvent(both, deps);
    expect(outcome).toMatchObject({ action: 'reconciled', groupIds: ['web'] });
    expect(engineCalls).toEqual(['reconcile web urgent']);
    expect(Object.keys((await store.getGroup('web'))?.state.retiring ?? {})).toEqual([live]);
    expect(await store.getGroup('old')).toBeUndefined();

    engineCalls.length = 0;
    const onlyOrphan = fixtureEvent('aws.health', 'scheduled-change-ec2', {
      instanceId: orphan ?? '',
      startTime,
    });
    expect(await dispatchEvent(onlyOrphan, deps)).toMatchObject({ action: 'not-ours', groupIds: [] });
    expect(engineCalls).toEqual([]);
  });
});

describe('AWS Health and own events', () => {
  it('scheduledChange for EC2: affected instances retire by the start time, replacements launch now', async () => {
    const [instance] = await createGroup('web', 1);
    const startTime = new Date(Date.now() + 86_400_000).toUTCString();
    const event = fixtureEvent('aws.health', 'scheduled-change-ec2', {
      instanceId: instance ?? '',
      startTime,
    });
    const outcome = await dispatchEvent(event, deps);
    expect(outcome).toMatchObject({ action: 'reconciled', groupIds: ['web'] });
    expect(engineCalls).toEqual(['reconcile web urgent']);
    expect((await store.getGroup('web'))?.state.retiring).toEqual({
      [instance ?? '']: Date.parse(startTime),
    });
    expect(provider.order[0]).toBe('launch 1');
  });

  it('other Health events are ignored', async () => {
    const outcome = await dispatchEvent(fixtureEvent('aws.health', 'issue-ec2'), deps);
    expect(outcome.action).toBe('ignored');
    expect(lookups).toEqual([]);
  });

  it('the project events reconcile the named groups', async () => {
    await createGroup('web', 1);
    await createGroup('db', 1);
    const one = await dispatchEvent(fixtureEvent('infrakit', 'group-spec-changed'), deps);
    expect(one.groupIds).toEqual(['web']);
    expect(engineCalls).toEqual(['reconcile web urgent']);
    const many = await dispatchEvent(fixtureEvent('infrakit', 'reconcile-requested'), deps);
    expect(many.results.map((r) => r.groupId).sort()).toEqual(['db', 'web']);
    expect(engineCalls.at(-1)).toBe('sweep web,db');
    // An operator's request through the API: the standing rejection is retried once.
    const asked = await dispatchEvent(fixtureEvent('infrakit', 'reconcile-requested-by-operator'), deps);
    expect(asked.groupIds).toEqual(['web']);
    expect(engineCalls.at(-1)).toBe('reconcile web urgent retry-rejected');
  });

  it('unknown and malformed events are ignored; store failures propagate for a retry', async () => {
    expect((await dispatchEvent(fixtureEvent('aws.s3', 'object-created'), deps)).action).toBe('ignored');
    expect((await dispatchEvent(fixtureEvent('aws.ec2', 'state-change-malformed'), deps)).action).toBe(
      'ignored',
    );
    expect((await dispatchEvent({ hello: 'world' }, deps)).action).toBe('ignored');
    expect(engineCalls).toEqual([]);
    const failing = {
      ...deps,
      store: Object.assign(Object.create(store) as DynamoGroupStore, {
        groupOfInstance: async () => {
          throw new Error('DynamoDB unavailable');
        },
      }),
    };
    await expect(dispatchEvent(fixtureEvent('aws.ec2', 'state-change-terminated'), failing)).rejects.toThrow(
      'DynamoDB unavailable',
    );
  });
});
