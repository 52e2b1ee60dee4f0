import * as z from 'zod';
import { ApiError, type InfrakitClient, type Schemas, UnreachableError } from '../cli/client.js';
import { toWireTags } from '../providers/infrakit/index.js';
import { toInfrakit } from '../spec/infrakit-export.js';
import { TAG_CONFIG_HASH, TAG_GROUP, TAG_LOGICAL_ID } from '../tags.js';

/**
 * InfraKit's Group SPI (`Group/0.1.1`, docker/infrakit pkg/rpc/group) answered by this controller's
 * own HTTP API: every method is one or two calls of the typed API client, so a group committed
 * through InfraKit's CLI is admitted, versioned (history, ETag) and reconciled exactly as one
 * committed with `infrakit group commit`. Nothing here touches the store, except the retiring marks
 * `DestroyInstances` sets (see there). Params and results are InfraKit's Go field names.
 */

/** What InfraKit's `Handshake.Hello` names: this interface, one unnamed object (the socket itself). */
export const GROUP_INTERFACE = 'Group/0.1.1';

/** A method's answer to a JSON-RPC error: InfraKit's CLI prints `message` as `Error: <message>`. */
export class GroupMethodError extends Error {
  /** JSON-RPC code: -32602 for params that do not fit, -32000 (what InfraKit's plugins send) else. */
  readonly code: number;
  constructor(message: string, code = -32000) {
    super(message);
    this.name = 'GroupMethodError';
    this.code = code;
  }
}

export interface GroupProtocolDeps {
  /** The API client of this controller (the same one `npx infrakit` uses). */
  readonly api: InfrakitClient;
  /**
   * Marks an instance to go now (a retiring mark with a deadline of `at`): the planner terminates
   * it first, before it picks anything else. The local store's `markRetiring`.
   */
  readonly retire: (groupId: string, instanceId: string, at: number) => Promise<void>;
  readonly now?: () => number;
}

export type GroupMethod = (params: unknown) => Promise<Record<string, unknown>>;

/** Each method's params, by example, for InfraKit's `infrakit local <name> info api`. */
export const GROUP_PARAMS_EXAMPLES: Readonly<Record<string, Record<string, unknown>>> = {
  'Group.CommitGroup': { Name: 'group', Spec: { ID: 'workers', Properties: {} }, Pretend: false },
  'Group.DescribeGroup': { Name: 'group', ID: 'workers' },
  'Group.InspectGroups': { Name: 'group', ID: '' },
  'Group.FreeGroup': { Name: 'group', ID: 'workers' },
  'Group.DestroyGroup': { Name: 'group', ID: 'workers' },
  'Group.Size': { Name: 'group', ID: 'workers' },
  'Group.SetSize': { Name: 'group', ID: 'workers', Size: 3 },
  'Group.DestroyInstances': { Name: 'group', ID: 'workers', Instances: ['instance-id'] },
};

const Name = z.string().default('');
const GroupId = z.string().min(1, 'is required (the group ID)');
const IdParams = z.looseObject({ Name, ID: GroupId });
const CommitParams = z.looseObject({
  Name,
  Spec: z.looseObject({ ID: z.string().min(1, 'is required (the group ID)'), Properties: z.unknown() }),
  Pretend: z.boolean().default(false),
});
const SizeParams = z.looseObject({ Name, ID: GroupId, Size: z.int('must be an integer') });
const InspectParams = z.looseObject({ Name, ID: z.string().default('') });
const DestroyInstancesParams = z.looseObject({
  Name,
  ID: GroupId,
  Instances: z.array(z.string()).nullish(),
});

/**
 * The error a caller of the socket gets for `err`: the API's own reason (for an invalid spec, each
 * field and what is wrong with it), so InfraKit's CLI prints what `npx infrakit` would.
 */
export function rpcErrorOf(err: unknown): GroupMethodError | undefined {
  if (err instanceof GroupMethodError) return err;
  if (err instanceof ApiError) {
    const fields = err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return new GroupMethodError(
      err.code === 'invalid-spec' && fields ? `invalid spec: ${fields}` : err.message,
    );
  }
  // The API stopped answering (the controller is stopping): say so rather than "internal error".
  if (err instanceof UnreachableError) return new GroupMethodError(err.message);
  return undefined;
}

/** How often `DestroyInstances` makes its resize again after losing a race to another change. */
const RESIZE_ATTEMPTS = 5;

/** Group IDs are lowercase here; InfraKit's may not be (its import lowercases them too). */
const idOf = (id: string) => id.toLowerCase();

/** `params` read with `schema`; a mismatch is a JSON-RPC invalid-params error naming the field. */
function read<T extends z.ZodType>(method: string, schema: T, params: unknown): z.output<T> {
  const parsed = schema.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const what = parsed.error.issues
    .map((i) => `${i.path.join('.') || 'params'} ${i.message.replace(/^Invalid input: /, '')}`)
    .join('; ');
  throw new GroupMethodError(`${method}: ${what}`, -32602);
}

function desiredSize(spec: Schemas['GroupSpec']): number {
  return spec.allocation.size ?? spec.allocation.logicalIds?.length ?? 0;
}

/**
 * An instance as InfraKit's `instance.Description`: its id, logical ID, and its tags under InfraKit's
 * names (what `infrakit … ls` prints: the flavor's and the user's too, when the provider reported
 * them); `Properties` carries what the API knows of it.
 */
function describeInstance(groupId: string, i: Schemas['InstanceStatus']) {
  const tags: Record<string, string> = {
    ...i.tags,
    [TAG_GROUP]: groupId,
    [TAG_CONFIG_HASH]: i.configHash,
  };
  if (i.logicalId !== undefined) tags[TAG_LOGICAL_ID] = i.logicalId;
  return {
    ID: i.id,
    LogicalID: i.logicalId ?? null,
    Tags: toWireTags(tags),
    Properties: { state: i.state, health: i.health, launchedAt: new Date(i.launchedAt).toISOString() },
  };
}

/**
 * Every group, page by page, with its current spec: history's newest version, which is always the
 * current one (the store leaves out versions of an earlier group freed under the same id), read
 * without a provider call.
 */
async function allSpecs(api: InfrakitClient): Promise<Schemas['GroupSpec'][]> {
  const specs: Schemas['GroupSpec'][] = [];
  let cursor: string | undefined;
  do {
    const page = (await api.listGroups(cursor ? { cursor } : {})).body;
    // A group being destroyed is no longer watched, as InfraKit's DestroyGroup frees it at once.
    for (const g of page.groups.filter((g) => g.lifecycle === 'active')) {
      const newest = (await api.history(g.id, { limit: 1 })).body.versions[0];
      if (newest) specs.push(newest.spec);
    }
    cursor = page.next;
  } while (cursor);
  return specs;
}

/** The methods of `Group/0.1.1`, by their JSON-RPC names. */
export function groupMethods(deps: GroupProtocolDeps): Record<string, GroupMethod> {
  const { api } = deps;
  const now = deps.now ?? Date.now;
  return {
    async 'Group.CommitGroup'(params) {
      const { Name, Spec, Pretend } = read('Group.CommitGroup', CommitParams, params);
      // InfraKit IDs may be capitalized; the import lowercases them, and so must the path.
      const id = idOf(Spec.ID);
      const text = JSON.stringify(Spec);
      const options = { contentType: 'application/json' };
      if (Pretend) {
        const { plan } = (await api.pretendPutGroup(id, text, options)).body;
        return { Name, ID: Spec.ID, Details: plan.actions.length === 0 ? 'Noop' : plan.summary };
      }
      const stored = await api.putGroup(id, text, options);
      const { version, etag, spec } = stored.body;
      return {
        Name,
        ID: Spec.ID,
        Details: `Managing ${desiredSize(spec)} instances (version ${version}, ETag ${etag})`,
      };
    },

    async 'Group.DescribeGroup'(params) {
      const { Name, ID } = read('Group.DescribeGroup', IdParams, params);
      const { body } = await api.getGroup(idOf(ID));
      const Instances = body.status.instances.map((i) => describeInstance(body.id, i));
      return { Name, ID, Description: { Instances, Converged: body.status.converged } };
    },

    async 'Group.InspectGroups'(params) {
      const { Name, ID } = read('Group.InspectGroups', InspectParams, params);
      return { Name, ID, Groups: (await allSpecs(api)).map(toInfrakit) };
    },

    async 'Group.FreeGroup'(params) {
      const { Name, ID } = read('Group.FreeGroup', IdParams, params);
      await api.free(idOf(ID));
      return { Name, ID };
    },

    async 'Group.DestroyGroup'(params) {
      const { Name, ID } = read('Group.DestroyGroup', IdParams, params);
      await api.destroy(idOf(ID));
      return { Name, ID };
    },

    async 'Group.Size'(params) {
      const { Name, ID } = read('Group.Size', IdParams, params);
      return { Name, ID, Size: desiredSize((await api.getGroup(idOf(ID))).body.spec) };
    },

    async 'Group.SetSize'(params) {
      const { Name, ID, Size } = read('Group.SetSize', SizeParams, params);
      await api.setSize(idOf(ID), Size);
      return { Name, ID };
    },

    /**
     * InfraKit's meaning: these members go, and the group shrinks by as many. Here: every id must be
     * a member (else nothing changes), each gets a retiring mark due now, then the size drops by
     * their number, conditional on the version read. The marks come first, so the pass the resize
     * asks for already picks exactly them; were the resize never made, the marked instances would be
     * replaced instead, never lost. A resize that lost a race (412) is made again on a fresh read,
     * so two concurrent calls shrink the group by both their counts.
     */
    async 'Group.DestroyInstances'(params) {
      const { Name, ID, Instances } = read('Group.DestroyInstances', DestroyInstancesParams, params);
      const targets = [...new Set(Instances ?? [])];
      const marked = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        const { body, etag } = await api.getGroup(idOf(ID));
        if (targets.length === 0) return { Name, ID };
        if (body.spec.allocation.logicalIds !== undefined)
          throw new GroupMethodError(
            `group ${body.id} is a pets group (allocation.logicalIds): remove the logical IDs with commit-group instead`,
          );
        const members = new Set(body.status.instances.map((i) => i.id));
        // Those marked by an earlier attempt may be gone already: that was the point.
        const strangers = targets.filter((t) => !members.has(t) && !marked.has(t));
        if (strangers.length > 0)
          throw new GroupMethodError(
            `not members of group ${body.id}: ${strangers.join(', ')}; nothing was destroyed`,
          );
        const at = now();
        for (const target of targets.filter((t) => !marked.has(t))) {
          await deps.retire(body.id, target, at);
          marked.add(target);
        }
        const size = Math.max(0, desiredSize(body.spec) - targets.length);
        try {
          await api.setSize(body.id, size, etag ? { ifMatch: etag } : {});
          return { Name, ID };
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 412) || attempt >= RESIZE_ATTEMPTS) throw err;
        }
      }
    },
  };
}
