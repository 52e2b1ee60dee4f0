import {
  CreateSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  type Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { TAG_DEVICE } from '../../src/providers/ec2/pet-resources.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_LOGICAL_ID } from '../../src/tags.js';
import { apiEvent } from '../api/api-event.js';
import { motoAvailable } from '../helpers/moto.js';
import { converge, type Ec2World, ec2Spec, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * Pets that keep their state on moto, end to end (engine, DynamoDB store, EC2 provider, API): a
 * 3-member group with a data volume, a network interface and an Elastic IP per logical ID. A
 * replacement, after a kill or in a rollout, gets the same volume, the same interface (so the same
 * private IP) and the same address; a destroy keeps them unless asked to delete them.
 */

const LOGICAL_IDS = ['zk1', 'zk2', 'zk3'];
const PET_PROPERTIES = {
  volumes: [{ device: '/dev/sdf', sizeGiB: 10 }],
  networkInterface: true,
  elasticIp: true,
};

/** Data volumes only: an instance's root volume carries the instance's tags too. */
const DATA_VOLUMES = { Name: 'tag-key', Values: [TAG_DEVICE] };

const fx = useMotoEc2();
let controllers = 0;
/** A world under a controller identity of its own. */
const world = (): Promise<Ec2World> => fx.world({ controllerId: `pets-${controllers++}` });

function petSpec(id: string, extra: Record<string, unknown> = {}) {
  return ec2Spec(id, 0, fx.net, { ...PET_PROPERTIES, ...extra }, { allocation: { logicalIds: LOGICAL_IDS } });
}

/** What one logical ID holds and which instance holds it, straight from moto. */
interface Held {
  readonly instance: string;
  readonly privateIp: string;
  readonly volume: string;
  readonly volumeHolder: string;
  readonly eni: string;
  readonly publicIp: string;
}

async function held(w: Ec2World, groupId: string): Promise<Map<string, Held>> {
  const filters = [
    { Name: `tag:${TAG_CONTROLLER}`, Values: [w.controllerId] },
    { Name: `tag:${TAG_GROUP}`, Values: [groupId] },
  ];
  const [live, volumes, enis, addresses] = await Promise.all([
    w.live(groupId),
    fx.raw.send(new DescribeVolumesCommand({ Filters: [...filters, DATA_VOLUMES] })),
    fx.raw.send(new DescribeNetworkInterfacesCommand({ Filters: filters })),
    fx.raw.send(new DescribeAddressesCommand({ Filters: filters })),
  ]);
  const out = new Map<string, Held>();
  for (const lid of LOGICAL_IDS) {
    const instances = live.filter((i: Instance) => tagOf(i.Tags, TAG_LOGICAL_ID) === lid);
    const vols = (volumes.Volumes ?? []).filter((v) => tagOf(v.Tags, TAG_LOGICAL_ID) === lid);
    const nics = (enis.NetworkInterfaces ?? []).filter((n) => tagOf(n.TagSet, TAG_LOGICAL_ID) === lid);
    const eips = (addresses.Addresses ?? []).filter((a) => tagOf(a.Tags, TAG_LOGICAL_ID) === lid);
    // Exactly one of each per logical ID: no duplicate volume, interface or address, ever.
    expect(instances, `instances of ${lid}`).toHaveLength(1);
    expect(vols, `volumes of ${lid}`).toHaveLength(1);
    expect(nics, `interfaces of ${lid}`).toHaveLength(1);
    expect(eips, `addresses of ${lid}`).toHaveLength(1);
    const [instance, vol, nic, eip] = [instances[0], vols[0], nics[0], eips[0]];
    out.set(lid, {
      instance: instance?.InstanceId ?? '',
      privateIp: instance?.PrivateIpAddress ?? '',
      volume: vol?.VolumeId ?? '',
      volumeHolder: vol?.Attachments?.[0]?.InstanceId ?? '',
      eni: nic?.NetworkInterfaceId ?? '',
      publicIp:
        eip?.NetworkInterfaceId === nic?.NetworkInterfaceId ? (eip?.PublicIp ?? '') : 'not on the eni',
    });
  }
  return out;
}

/** Every logical ID's instance holds its own volume, runs on its own interface and has its address. */
function expectAttached(h: Map<string, Held>): void {
  for (const [lid, x] of h) {
    expect(x.volumeHolder, `${lid}'s volume holder`).toBe(x.instance);
    expect(x.publicIp, `${lid}'s Elastic IP`).not.toBe('not on the eni');
  }
}

async function resourceCount(w: Ec2World, groupId: string): Promise<number> {
  const filters = [
    { Name: `tag:${TAG_CONTROLLER}`, Values: [w.controllerId] },
    { Name: `tag:${TAG_GROUP}`, Values: [groupId] },
  ];
  const [v, n, a] = await Promise.all([
    fx.raw.send(new DescribeVolumesCommand({ Filters: [...filters, DATA_VOLUMES] })),
    fx.raw.send(new DescribeNetworkInterfacesCommand({ Filters: filters })),
    fx.raw.send(new DescribeAddressesCommand({ Filters: filters })),
  ]);
  return (v.Volumes ?? []).length + (n.NetworkInterfaces ?? []).length + (a.Addresses ?? []).length;
}

describe.runIf(motoAvailable())(
  'stateful pets on moto: volumes, interfaces and Elastic IPs survive replacement',
  () => {
    it('a killed member comes back with the same volume, interface, private IP and Elastic IP; a rollout keeps them too', async () => {
      const w = await world();
      await w.put(petSpec('zk'));
      await converge(w.engine(), ['zk']);
      const first = await held(w, 'zk');
      expectAttached(first);
      const ips = [...first.values()].map((x) => x.privateIp);
      expect(new Set(ips).size).toBe(3);

      // Kill zk2 behind the controller's back.
      const victim = first.get('zk2')?.instance ?? '';
      await fx.raw.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));
      await converge(w.engine(), ['zk']);
      const healed = await held(w, 'zk');
      expect(healed.get('zk2')?.instance).not.toBe(victim);
      for (const lid of LOGICAL_IDS) {
        const [before, after] = [first.get(lid), healed.get(lid)];
        expect(after?.volume, lid).toBe(before?.volume);
        expect(after?.eni, lid).toBe(before?.eni);
        expect(after?.privateIp, lid).toBe(before?.privateIp);
        expect(after?.publicIp, lid).toBe(before?.publicIp);
      }
      expectAttached(healed);

      // A new configuration rolls every member, one at a time; each keeps what it held.
      await w.put(petSpec('zk', { instanceType: 't3.small' }));
      await converge(w.engine(), ['zk'], undefined, 40);
      const rolled = await held(w, 'zk');
      for (const lid of LOGICAL_IDS) {
        expect(rolled.get(lid)?.instance, lid).not.toBe(healed.get(lid)?.instance);
        expect(rolled.get(lid)?.volume, lid).toBe(first.get(lid)?.volume);
        expect(rolled.get(lid)?.eni, lid).toBe(first.get(lid)?.eni);
        expect(rolled.get(lid)?.privateIp, lid).toBe(first.get(lid)?.privateIp);
      }
      expectAttached(rolled);
    }, 180_000);

    it('a rollout that changes the security groups puts them on each member’s own interface', async () => {
      const w = await world();
      const group = async (name: string) =>
        (
          await fx.raw.send(
            new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: fx.net.vpcId }),
          )
        ).GroupId ?? '';
      const [first, second] = [
        await group(`pets-sg-a-${w.controllerId}`),
        await group(`pets-sg-b-${w.controllerId}`),
      ];
      await w.put(petSpec('sg', { securityGroupIds: [first] }));
      await converge(w.engine(), ['sg']);
      const before = await held(w, 'sg');
      await w.put(petSpec('sg', { securityGroupIds: [second] }));
      await converge(w.engine(), ['sg'], undefined, 40);
      const after = await held(w, 'sg');
      const enis = await fx.raw.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [...after.values()].map((x) => x.eni) }),
      );
      for (const n of enis.NetworkInterfaces ?? []) expect(n.Groups?.map((g) => g.GroupId)).toEqual([second]);
      for (const lid of LOGICAL_IDS) {
        expect(after.get(lid)?.eni).toBe(before.get(lid)?.eni);
        expect(after.get(lid)?.instance).not.toBe(before.get(lid)?.instance);
      }
    }, 180_000);

    it('DELETE keeps what the pets hold and lists it; DELETE ?deleteVolumes=true deletes it once the instances are gone', async () => {
      const w = await world();
      const api = createApi({
        store: w.store,
        engine: w.engine(),
        providers: new Map([[w.provider.name, w.provider]]),
        flavors: new Map([[vanillaFlavor.kind, vanillaFlavor]]),
        requestReconcile: async () => {},
        controllerId: w.controllerId,
      });
      for (const id of ['keep', 'wipe']) {
        await w.put(petSpec(id));
        await converge(w.engine(), [id]);
      }
      const kept = await held(w, 'keep');

      // The volumes pin each logical ID to their AZ: subnets that leave some AZ out are refused at PUT.
      const narrowed = petSpec('keep', { subnetIds: [fx.net.subnets[0]?.id] });
      const put = await api(apiEvent('PUT', '/groups/keep', { body: narrowed }));
      expect(put.statusCode).toBe(400);
      const issues = JSON.parse(String(put.body)).error.issues as { path: string; message: string }[];
      expect(issues.map((i) => i.path)).toContain('instance.properties.subnetIds');
      expect(issues.map((i) => i.message).join(' ')).toMatch(/keeps (volume|network interface)/);
      expect((await w.store.getGroup('keep'))?.version).toBe(1);

      const keepRes = await api(apiEvent('DELETE', '/groups/keep'));
      expect(keepRes.statusCode).toBe(202);
      const keepBody = JSON.parse(String(keepRes.body)) as {
        deleteVolumes: boolean;
        kept: { kind: string; id: string; logicalId: string }[];
      };
      expect(keepBody.deleteVolumes).toBe(false);
      expect(
        keepBody.kept
          .filter((r) => r.kind === 'volume')
          .map((r) => r.id)
          .sort(),
      ).toEqual([...kept.values()].map((x) => x.volume).sort());
      expect(keepBody.kept.filter((r) => r.kind === 'network-interface')).toHaveLength(3);
      expect(keepBody.kept.filter((r) => r.kind === 'elastic-ip')).toHaveLength(3);

      const wipeRes = await api(apiEvent('DELETE', '/groups/wipe', { query: { deleteVolumes: 'true' } }));
      expect(wipeRes.statusCode).toBe(202);
      const wipeBody = JSON.parse(String(wipeRes.body)) as {
        deleteVolumes: boolean;
        kept: unknown[];
        deleting: unknown[];
      };
      expect(wipeBody.deleteVolumes).toBe(true);
      expect(wipeBody.kept).toEqual([]);
      expect(wipeBody.deleting).toHaveLength(9);

      await converge(w.engine(), ['keep', 'wipe'], undefined, 30);
      expect(await w.store.getGroup('keep')).toBeUndefined();
      expect(await w.store.getGroup('wipe')).toBeUndefined();
      expect(await w.live('keep')).toEqual([]);
      expect(await w.live('wipe')).toEqual([]);
      expect(await resourceCount(w, 'keep')).toBe(9);
      expect(await resourceCount(w, 'wipe')).toBe(0);

      // A bad flag is refused and changes nothing.
      await w.put(petSpec('again'));
      const bad = await api(apiEvent('DELETE', '/groups/again', { query: { deleteVolumes: 'yes' } }));
      expect(bad.statusCode).toBe(400);
      expect(JSON.parse(String(bad.body)).error.issues[0].path).toBe('deleteVolumes');
      expect((await w.store.getGroup('again'))?.lifecycle).toBe('active');
    }, 180_000);

    it('a logical ID removed with retainRemoved: false loses its resources once its instance is gone; the others keep theirs', async () => {
      const w = await world();
      await w.put(petSpec('rr', { retainRemoved: false }));
      await converge(w.engine(), ['rr']);
      const before = await held(w, 'rr');
      await w.put({ ...petSpec('rr', { retainRemoved: false }), allocation: { logicalIds: ['zk1', 'zk2'] } });
      await converge(w.engine(), ['rr'], undefined, 30);
      const filters = [
        { Name: `tag:${TAG_CONTROLLER}`, Values: [w.controllerId] },
        { Name: `tag:${TAG_GROUP}`, Values: ['rr'] },
      ];
      const volumes =
        (await fx.raw.send(new DescribeVolumesCommand({ Filters: [...filters, DATA_VOLUMES] }))).Volumes ??
        [];
      expect(volumes.map((v) => v.VolumeId).sort()).toEqual(
        [before.get('zk1')?.volume, before.get('zk2')?.volume].sort(),
      );
      const enis =
        (await fx.raw.send(new DescribeNetworkInterfacesCommand({ Filters: filters }))).NetworkInterfaces ??
        [];
      expect(enis.map((n) => tagOf(n.TagSet, TAG_LOGICAL_ID)).sort()).toEqual(['zk1', 'zk2']);
      const eips = (await fx.raw.send(new DescribeAddressesCommand({ Filters: filters }))).Addresses ?? [];
      expect(eips.map((a) => tagOf(a.Tags, TAG_LOGICAL_ID)).sort()).toEqual(['zk1', 'zk2']);

      // By default (retainRemoved absent) a removed logical ID keeps everything.
      await w.put(petSpec('rk'));
      await converge(w.engine(), ['rk']);
      await w.put({ ...petSpec('rk'), allocation: { logicalIds: ['zk1'] } });
      await converge(w.engine(), ['rk'], undefined, 30);
      expect(await resourceCount(w, 'rk')).toBe(9);
    }, 180_000);
  },
);
