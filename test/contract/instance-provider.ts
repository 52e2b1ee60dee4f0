import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotOwnedError, SpecValidationError } from '../../src/errors.js';
import type {
  InstanceOwner,
  InstanceProvider,
  InstanceState,
  ProvisionRequest,
} from '../../src/providers/types.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';

/**
 * The one contract suite every instance provider passes (architecture §3). Provider-neutral: it only
 * calls the `InstanceProvider` methods, plus the optional hooks a fixture offers for what the
 * interface cannot do (kill an instance behind the provider's back, create one without our tags).
 *
 * Usage, in a `*.test.ts` file:
 *
 *     instanceProviderContract('process', async () => ({ provider, validProperties, … }));
 *
 * Every test uses its own group id, so tests are independent and may run in any order; whatever
 * a test launched is destroyed after it.
 */

/** An instance created outside the controller, without the `infrakit.group` tag. */
export interface UntaggedInstance {
  readonly id: string;
  /** Asks the backend directly (not `describe`, which may only see tagged instances). */
  exists(): Promise<boolean>;
  /** Removes it, whatever state it is in. */
  remove(): Promise<void>;
}

export interface ContractFixture {
  readonly provider: InstanceProvider;
  /** `instance.properties` that `validate` accepts; every launch in the suite uses them. */
  readonly validProperties: unknown;
  /** Properties `validate` must reject, each with a field path one of the issues must name. */
  readonly invalidProperties: ReadonlyArray<{ readonly value: unknown; readonly path: string }>;
  /** An id shaped like the provider's ids that no instance has. */
  readonly unknownId: string;
  /** Makes an instance gone behind the provider's back (SIGKILL, a direct TerminateInstances). */
  killOutOfBand?(id: string): Promise<void>;
  /** Creates an instance without the `infrakit.group` tag, to prove `destroy` refuses it. */
  untaggedInstance?(): Promise<UntaggedInstance>;
  /** Releases whatever setup created (servers, temp dirs). Instances are already destroyed. */
  teardown(): Promise<void>;
}

const LIVE_STATES: readonly InstanceState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** A unique group id (a valid spec id). */
export function uniqueGroupId(prefix = 'ct'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** The controller identity every contract launch carries. */
export const CONTRACT_CONTROLLER = 'contract-controller';

/** The owner of a contract group's instances: this suite's controller and the group. */
export function ownerOf(groupId: string, controllerId = CONTRACT_CONTROLLER): InstanceOwner {
  return { controllerId, groupId };
}

/** The controller's tags for one launch: controller, group, config hash, intent and (pets) logical id. */
export function groupTags(
  groupId: string,
  token: string,
  logicalId?: string,
  configHash = 'contract-hash-1',
  controllerId = CONTRACT_CONTROLLER,
): Record<string, string> {
  return {
    [TAG_CONTROLLER]: controllerId,
    [TAG_GROUP]: groupId,
    [TAG_CONFIG_HASH]: configHash,
    [TAG_INTENT]: token,
    ...(logicalId !== undefined ? { [TAG_LOGICAL_ID]: logicalId } : {}),
  };
}

/** `count` cattle requests sharing one intent token. */
export function cattleRequests(
  groupId: string,
  count: number,
  token = uniqueGroupId('tok'),
  controllerId = CONTRACT_CONTROLLER,
): ProvisionRequest[] {
  return Array.from({ length: count }, () => ({
    tags: groupTags(groupId, token, undefined, undefined, controllerId),
    token,
  }));
}

/** Runs the contract suite against the provider that `setup` builds. */
export function instanceProviderContract(name: string, setup: () => Promise<ContractFixture>): void {
  describe(`instance provider contract: ${name}`, () => {
    let fx: ContractFixture;
    let props: Record<string, unknown>;
    const usedGroups = new Set<string>();
    const untagged: UntaggedInstance[] = [];

    beforeAll(async () => {
      fx = await setup();
      props = fx.provider.validate(fx.validProperties);
    });

    afterEach(async () => {
      for (const groupId of usedGroups) {
        const left = await fx.provider.describe({ tags: { [TAG_GROUP]: groupId } });
        // Some tests launch the same group under another controller: each is destroyed by its owner.
        for (const controllerId of new Set(left.map((i) => i.tags[TAG_CONTROLLER] ?? ''))) {
          const ids = left.filter((i) => i.tags[TAG_CONTROLLER] === controllerId).map((i) => i.id);
          await fx.provider.destroy(ids, ownerOf(groupId, controllerId), 'contract cleanup');
        }
      }
      usedGroups.clear();
      for (const u of untagged.splice(0)) await u.remove();
    });

    afterAll(async () => {
      await fx?.teardown();
    });

    /** A fresh group id, cleaned up after the test. */
    function newGroup(): string {
      const id = uniqueGroupId();
      usedGroups.add(id);
      return id;
    }

    async function launch(groupId: string, count: number, controllerId = CONTRACT_CONTROLLER) {
      const result = await fx.provider.provision(
        props,
        cattleRequests(groupId, count, uniqueGroupId('tok'), controllerId),
      );
      return result.launched.map((i) => i.id);
    }

    async function idsOf(selector: Parameters<InstanceProvider['describe']>[0]): Promise<string[]> {
      return (await fx.provider.describe(selector)).map((i) => i.id).sort();
    }

    it('validate accepts the valid properties, deterministically', () => {
      const once = fx.provider.validate(fx.validProperties);
      expect(once).toBeTypeOf('object');
      expect(fx.provider.validate(fx.validProperties)).toEqual(once);
      // Normalized output is itself valid input.
      expect(fx.provider.validate(once)).toEqual(once);
    });

    it('validate rejects invalid properties with a SpecValidationError naming the field', () => {
      expect(fx.invalidProperties.length).toBeGreaterThan(0);
      for (const { value, path } of fx.invalidProperties) {
        let caught: unknown;
        try {
          fx.provider.validate(value);
        } catch (err) {
          caught = err;
        }
        expect(caught, `expected ${JSON.stringify(value)} to be rejected`).toBeInstanceOf(
          SpecValidationError,
        );
        const issues = (caught as SpecValidationError).issues.map((i) => i.path);
        expect(issues, `issues for ${JSON.stringify(value)}`).toContain(path);
      }
    });

    it('provision launches one instance per request, and describe by group returns exactly those', async () => {
      const groupId = newGroup();
      const token = uniqueGroupId('tok');
      const result = await fx.provider.provision(props, cattleRequests(groupId, 3, token));
      const launched = result.launched.map((i) => i.id);
      expect(new Set(launched).size).toBe(3);
      const seen = await fx.provider.describe({ tags: { [TAG_GROUP]: groupId } });
      expect(seen.map((i) => i.id).sort()).toEqual([...launched].sort());
      for (const instance of seen) {
        expect(instance.tags).toMatchObject(groupTags(groupId, token));
        expect(LIVE_STATES).toContain(instance.state);
        expect(instance.launchedAt).toBeTypeOf('number');
        expect(['ok', 'impaired', 'unknown']).toContain(instance.health.status);
      }
    });

    it('a pet request carries its logical id tag', async () => {
      const groupId = newGroup();
      const token = uniqueGroupId('tok');
      const tags = { ...groupTags(groupId, token, 'pet-1'), 'contract.user': 'kept' };
      const { launched } = await fx.provider.provision(props, [{ tags, token, logicalId: 'pet-1' }]);
      const seen = await fx.provider.describe({ tags: { [TAG_GROUP]: groupId } });
      expect(seen.map((i) => i.id)).toEqual(launched.map((i) => i.id));
      expect(seen[0]?.tags).toMatchObject(tags);
    });

    it('describe selects by intent token, by tag keys, and returns nothing for an unused group', async () => {
      const groupId = newGroup();
      const firstToken = uniqueGroupId('tok');
      const first = await fx.provider.provision(props, cattleRequests(groupId, 2, firstToken));
      const token = uniqueGroupId('tok');
      const marked: ProvisionRequest = {
        tags: { ...groupTags(groupId, token), 'contract.role': 'leader' },
        token,
      };
      const second = await fx.provider.provision(props, [marked]);
      const secondId = second.launched[0]?.id;

      expect(await idsOf({ tags: { [TAG_GROUP]: groupId, [TAG_INTENT]: token } })).toEqual([secondId]);
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId, [TAG_INTENT]: firstToken } })).toEqual(
        first.launched.map((i) => i.id).sort(),
      );
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId }, tagKeys: ['contract.role'] })).toEqual([secondId]);
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId, 'contract.role': 'follower' } })).toEqual([]);
      expect(await idsOf({ tags: { [TAG_GROUP]: uniqueGroupId('unused') } })).toEqual([]);
    });

    it('destroy removes the instances from describe and reports them destroyed', async () => {
      const groupId = newGroup();
      const [gone, kept] = await launch(groupId, 2);
      if (!gone || !kept) throw new Error('expected two launched instances');
      const result = await fx.provider.destroy([gone], ownerOf(groupId), 'contract: scale down');
      expect(result.destroyed).toEqual([gone]);
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId } })).toEqual([kept]);
    });

    it('destroy is idempotent: twice, or an unknown id, is not an error', async () => {
      const groupId = newGroup();
      const ids = await launch(groupId, 1);
      await fx.provider.destroy(ids, ownerOf(groupId), 'contract: first');
      const again = await fx.provider.destroy([...ids, fx.unknownId], ownerOf(groupId), 'contract: again');
      expect([...again.destroyed].sort()).toEqual([...ids, fx.unknownId].sort());
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId } })).toEqual([]);
    });

    it("destroy refuses another group's instance and destroys nothing of the batch", async () => {
      const mine = newGroup();
      const theirs = newGroup();
      const myIds = await launch(mine, 1);
      const theirIds = await launch(theirs, 1);
      const refusal = await fx.provider
        .destroy([...myIds, ...theirIds], ownerOf(mine), 'contract: wrong group')
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refusal).toBeInstanceOf(NotOwnedError);
      expect((refusal as NotOwnedError).instanceIds).toEqual(theirIds);
      expect(await idsOf({ tags: { [TAG_GROUP]: mine } })).toEqual(myIds);
      expect(await idsOf({ tags: { [TAG_GROUP]: theirs } })).toEqual(theirIds);
    });

    it('destroy refuses the same group of another controller, and describe tells them apart', async () => {
      const groupId = newGroup();
      const mine = await launch(groupId, 1);
      const theirs = await launch(groupId, 1, 'other-controller');
      expect(await idsOf({ tags: { [TAG_CONTROLLER]: CONTRACT_CONTROLLER, [TAG_GROUP]: groupId } })).toEqual(
        mine,
      );
      expect(await idsOf({ tags: { [TAG_CONTROLLER]: 'other-controller', [TAG_GROUP]: groupId } })).toEqual(
        theirs,
      );
      const refusal = await fx.provider
        .destroy([...mine, ...theirs], ownerOf(groupId), 'contract: other controller')
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refusal).toBeInstanceOf(NotOwnedError);
      expect((refusal as NotOwnedError).instanceIds).toEqual(theirs);
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId } })).toEqual([...mine, ...theirs].sort());
    });

    it('destroy refuses an instance without the group tag', async (ctx) => {
      if (!fx.untaggedInstance) return ctx.skip('fixture cannot create untagged instances');
      const groupId = newGroup();
      const stranger = await fx.untaggedInstance();
      untagged.push(stranger);
      await expect(
        fx.provider.destroy([stranger.id], ownerOf(groupId), 'contract: untagged'),
      ).rejects.toBeInstanceOf(NotOwnedError);
      expect(await stranger.exists()).toBe(true);
    });

    it('label adds and overwrites tags, visible in describe, keeping the others', async () => {
      const groupId = newGroup();
      const [id] = await launch(groupId, 1);
      if (!id) throw new Error('expected one launched instance');
      await fx.provider.label([id], { 'infrakit.protected': 'true', 'contract.note': 'a' });
      await fx.provider.label([id], { 'contract.note': 'b' });
      const [seen] = await fx.provider.describe({ tags: { [TAG_GROUP]: groupId } });
      expect(seen?.tags).toMatchObject({
        [TAG_GROUP]: groupId,
        [TAG_CONFIG_HASH]: 'contract-hash-1',
        'infrakit.protected': 'true',
        'contract.note': 'b',
      });
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId, 'infrakit.protected': 'true' } })).toEqual([id]);
    });

    it('label of an unknown id is skipped, not an error', async () => {
      await expect(fx.provider.label([fx.unknownId], { 'contract.note': 'x' })).resolves.toBeUndefined();
    });

    it('an instance gone out of band leaves describe, and destroying it is not an error', async (ctx) => {
      if (!fx.killOutOfBand) return ctx.skip('fixture cannot kill instances out of band');
      const groupId = newGroup();
      const [victim, survivor] = await launch(groupId, 2);
      if (!victim || !survivor) throw new Error('expected two launched instances');
      await fx.killOutOfBand(victim);
      expect(await idsOf({ tags: { [TAG_GROUP]: groupId } })).toEqual([survivor]);
      const result = await fx.provider.destroy([victim], ownerOf(groupId), 'contract: already gone');
      expect(result.destroyed).toEqual([victim]);
    });
  });
}
