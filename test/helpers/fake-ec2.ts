import type {
  CreateTagsCommandInput,
  DescribeInstanceStatusCommandInput,
  DescribeInstancesCommandInput,
  Filter,
  Instance,
  InstanceStatus,
  Reservation,
  RunInstancesCommandInput,
  Tag,
  TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { Ec2Sender } from '../../src/providers/ec2/sdk.js';
import { awsError } from '../providers/ec2-fixtures.js';

/**
 * A recording, in-memory EC2 that pages like EC2, for counting the calls a sweep makes at sizes moto
 * cannot reach (10,000 instances) and for testing paging where moto does not page
 * (DescribeInstanceStatus ignores `MaxResults`/`NextToken` there). It stands in for an `EC2Client`:
 * `send(command)` dispatches on the command's class name (`DescribeInstancesCommand`, …) and reads
 * `command.input`, so the provider's real request building and response reading run unchanged.
 *
 * What it does as EC2 does:
 *
 * - `DescribeInstances` and `DescribeInstanceStatus` return at most `MaxResults` items per page
 *   (5 to 1,000; at most 1,000 when not given), never more than `pageLimit` (EC2 may return short
 *   pages: set it low to test that callers follow `NextToken` rather than counting items), with an
 *   opaque `NextToken` while more remain; a token only fits the request it came from. Pages count
 *   instances (moto counts reservations). A request naming `InstanceIds` gets them all on one
 *   page, and may not give `MaxResults`.
 * - Filters `tag:<key>`, `tag-key`, `instance-state-name`, `instance-id`: values of one filter OR,
 *   filters AND, as EC2 does; any other filter name is refused, so a filter the provider starts to
 *   use cannot be silently ignored.
 * - `InstanceIds` naming an unknown instance fails the whole call (`InvalidInstanceID.NotFound`).
 * - `DescribeInstanceStatus` lists running instances only unless `IncludeAllInstances`.
 * - `RunInstances` is idempotent on `ClientToken` (the same token returns the same instances) and
 *   tags at launch; `TerminateInstances` leaves terminated instances listed (EC2 keeps them for a
 *   while); `CreateTags` merges tags.
 *
 * Other operations throw. The signal given as `abortSignal` is honoured before each request.
 */

/** An instance as the fake keeps it. */
export interface FakeEc2Instance {
  readonly id: string;
  readonly reservationId: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  tags: Record<string, string>;
  readonly launchTime: Date;
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly privateIp: string;
  /** The system and instance status checks. */
  checks: 'ok' | 'impaired' | 'initializing';
  readonly clientToken?: string;
}

export interface FakeEc2Options {
  /** The most items one page holds, whatever `MaxResults` asks. @default 1000 */
  readonly pageLimit?: number;
  /** Status checks of newly launched instances. @default 'ok' */
  readonly launchChecks?: FakeEc2Instance['checks'];
}

/** A request the fake answered (or refused), in order. */
export interface FakeEc2Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

const MAX_PAGE = 1000;
const MIN_PAGE = 5;
const STATE_CODES: Record<FakeEc2Instance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};
const FILTERS = new Set(['tag-key', 'instance-state-name', 'instance-id']);

function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function matchesFilter(i: FakeEc2Instance, filter: Filter): boolean {
  const name = filter.Name ?? '';
  const values = filter.Values ?? [];
  if (name.startsWith('tag:')) {
    const value = i.tags[name.slice(4)];
    return value !== undefined && values.includes(value);
  }
  if (name === 'tag-key') return values.some((k) => k in i.tags);
  if (name === 'instance-state-name') return values.includes(i.state);
  if (name === 'instance-id') return values.includes(i.id);
  return false;
}

function checkFilters(filters: readonly Filter[] | undefined): void {
  for (const f of filters ?? []) {
    const name = f.Name ?? '';
    if (!name.startsWith('tag:') && !FILTERS.has(name)) {
      throw awsError('InvalidParameterValue', `The filter '${name}' is invalid (not modelled by the fake)`);
    }
  }
}

export class FakeEc2 {
  /** Every instance ever launched, terminated ones included, by id. */
  readonly instances = new Map<string, FakeEc2Instance>();
  /** Every request, in order. */
  readonly calls: FakeEc2Call[] = [];
  private readonly pageLimit: number;
  private readonly launchChecks: FakeEc2Instance['checks'];
  private serial = 0;

  constructor(options: FakeEc2Options = {}) {
    this.pageLimit = options.pageLimit ?? MAX_PAGE;
    this.launchChecks = options.launchChecks ?? 'ok';
  }

  /** The fake as the provider takes a client (`Ec2ProviderOptions.client`). */
  client(): Ec2Sender {
    return this as unknown as Ec2Sender;
  }

  /** Requests per operation, sorted by name. */
  counts(): Record<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.calls) counts.set(c.command, (counts.get(c.command) ?? 0) + 1);
    return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Forgets the recorded calls (not the instances). */
  resetCalls(): void {
    this.calls.length = 0;
  }

  /**
   * Puts `count` running instances carrying `tags` in place without a request (setup that is not
   * what is being counted), as one reservation.
   */
  seed(count: number, tags: Record<string, string>, launchTime = new Date()): FakeEc2Instance[] {
    return this.create(count, { tags, launchTime, state: 'running', checks: this.launchChecks });
  }

  /** Sets the status checks of an instance. */
  setChecks(id: string, checks: FakeEc2Instance['checks']): void {
    const i = this.instances.get(id);
    if (!i) throw new Error(`no instance ${id}`);
    i.checks = checks;
  }

  async send(
    command: { input?: unknown; constructor: { name: string } },
    options?: { abortSignal?: AbortSignal },
  ) {
    const name = command.constructor.name.replace(/Command$/, '');
    const given = command.input ?? {};
    const input = given as Record<string, unknown>;
    options?.abortSignal?.throwIfAborted();
    this.calls.push({ command: name, input });
    // Answer asynchronously, as a client does: callers must never rely on a synchronous reply.
    await Promise.resolve();
    switch (name) {
      case 'DescribeInstances':
        return this.describeInstances(given as DescribeInstancesCommandInput);
      case 'DescribeInstanceStatus':
        return this.describeInstanceStatus(given as DescribeInstanceStatusCommandInput);
      case 'RunInstances':
        return this.runInstances(given as RunInstancesCommandInput);
      case 'TerminateInstances':
        return this.terminateInstances(given as TerminateInstancesCommandInput);
      case 'CreateTags':
        return this.createTags(given as CreateTagsCommandInput);
      default:
        throw new Error(`FakeEc2 does not implement ${name}`);
    }
  }

  private create(
    count: number,
    spec: {
      tags: Record<string, string>;
      launchTime: Date;
      state: FakeEc2Instance['state'];
      checks: FakeEc2Instance['checks'];
      imageId?: string;
      instanceType?: string;
      subnetId?: string;
      privateIp?: string;
      clientToken?: string;
    },
  ): FakeEc2Instance[] {
    const reservationId = `r-${(++this.serial).toString(16).padStart(17, '0')}`;
    const out: FakeEc2Instance[] = [];
    for (let n = 0; n < count; n++) {
      const k = ++this.serial;
      const instance: FakeEc2Instance = {
        id: `i-${k.toString(16).padStart(17, '0')}`,
        reservationId,
        state: spec.state,
        tags: { ...spec.tags },
        launchTime: spec.launchTime,
        imageId: spec.imageId ?? 'ami-12c6146b',
        instanceType: spec.instanceType ?? 't3.micro',
        subnetId: spec.subnetId ?? 'subnet-0fake',
        availabilityZone: 'us-east-1a',
        privateIp: spec.privateIp ?? `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
        checks: spec.checks,
        ...(spec.clientToken ? { clientToken: spec.clientToken } : {}),
      };
      this.instances.set(instance.id, instance);
      out.push(instance);
    }
    return out;
  }

  /** The page of `items` a request asks for, and the token of the next. */
  private page<T>(
    operation: string,
    items: readonly T[],
    input: {
      MaxResults?: number | undefined;
      NextToken?: string | undefined;
      InstanceIds?: string[] | undefined;
    },
    fingerprint: string,
  ): { items: T[]; next?: string } {
    const max = input.MaxResults;
    if (max !== undefined) {
      if (input.InstanceIds && input.InstanceIds.length > 0) {
        throw awsError(
          'InvalidParameterCombination',
          'The parameter instancesSet cannot be used with the parameter maxResults',
        );
      }
      if (!Number.isInteger(max) || max < MIN_PAGE || max > MAX_PAGE) {
        throw awsError(
          'InvalidParameterValue',
          `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${MIN_PAGE} and ${MAX_PAGE}.`,
        );
      }
    }
    // Named instances come back all at once: EC2 pages listings, not a request naming its ids.
    if (input.InstanceIds && input.InstanceIds.length > 0) return { items: [...items] };
    let offset = 0;
    if (input.NextToken) {
      const [op, print, at] = Buffer.from(input.NextToken, 'base64url').toString('utf8').split('\n');
      if (op !== operation || print !== fingerprint || at === undefined || !/^\d+$/.test(at)) {
        throw awsError('InvalidParameterValue', 'The token is invalid for this request');
      }
      offset = Number(at);
    }
    const size = Math.min(max ?? MAX_PAGE, this.pageLimit);
    const end = offset + size;
    const page = items.slice(offset, end);
    if (end >= items.length) return { items: page };
    return {
      items: page,
      next: Buffer.from(`${operation}\n${fingerprint}\n${end}`, 'utf8').toString('base64url'),
    };
  }

  /** The instances named by `ids` (all must exist), or all of them in launch order (= id order). */
  private selected(ids: readonly string[] | undefined): FakeEc2Instance[] {
    if (ids && ids.length > 0) {
      const missing = ids.filter((id) => !this.instances.has(id));
      if (missing.length > 0) {
        throw awsError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
      }
      return [...new Set(ids)].map((id) => this.instances.get(id) as FakeEc2Instance);
    }
    return [...this.instances.values()];
  }

  private describeInstances(input: DescribeInstancesCommandInput) {
    checkFilters(input.Filters);
    const matching = this.selected(input.InstanceIds).filter((i) =>
      (input.Filters ?? []).every((f) => matchesFilter(i, f)),
    );
    const fingerprint = JSON.stringify([input.Filters ?? [], input.InstanceIds ?? []]);
    const { items, next } = this.page('DescribeInstances', matching, input, fingerprint);
    // Consecutive instances of one reservation share a Reservation, as EC2 groups them.
    const reservations: Reservation[] = [];
    for (const i of items) {
      const last = reservations.at(-1);
      const described = this.instanceView(i);
      if (last?.ReservationId === i.reservationId) last.Instances?.push(described);
      else
        reservations.push({
          ReservationId: i.reservationId,
          OwnerId: '123456789012',
          Instances: [described],
        });
    }
    return { Reservations: reservations, ...(next ? { NextToken: next } : {}), $metadata: {} };
  }

  private instanceView(i: FakeEc2Instance): Instance {
    return {
      InstanceId: i.id,
      ImageId: i.imageId,
      InstanceType: i.instanceType as Instance['InstanceType'],
      LaunchTime: i.launchTime,
      State: { Code: STATE_CODES[i.state], Name: i.state },
      SubnetId: i.subnetId,
      PrivateIpAddress: i.privateIp,
      Placement: { AvailabilityZone: i.availabilityZone },
      Tags: toTags(i.tags),
      ...(i.clientToken ? { ClientToken: i.clientToken } : {}),
    };
  }

  private describeInstanceStatus(input: DescribeInstanceStatusCommandInput) {
    checkFilters(input.Filters);
    const all = input.IncludeAllInstances === true;
    const matching = this.selected(input.InstanceIds).filter(
      (i) => (all || i.state === 'running') && (input.Filters ?? []).every((f) => matchesFilter(i, f)),
    );
    const fingerprint = JSON.stringify([input.Filters ?? [], input.InstanceIds ?? [], all]);
    const { items, next } = this.page('DescribeInstanceStatus', matching, input, fingerprint);
    const statuses: InstanceStatus[] = items.map((i) => {
      const running = i.state === 'running';
      const status = running ? i.checks : 'not-applicable';
      const detail =
        status === 'ok'
          ? 'passed'
          : status === 'impaired'
            ? 'failed'
            : running
              ? 'initializing'
              : 'not-applicable';
      const summary = {
        Status: status as 'ok',
        Details: [
          {
            Name: 'reachability' as const,
            Status: detail as 'passed',
            ...(status === 'impaired' ? { ImpairedSince: i.launchTime } : {}),
          },
        ],
      };
      return {
        InstanceId: i.id,
        AvailabilityZone: i.availabilityZone,
        InstanceState: { Code: STATE_CODES[i.state], Name: i.state },
        SystemStatus: summary,
        InstanceStatus: summary,
      };
    });
    return { InstanceStatuses: statuses, ...(next ? { NextToken: next } : {}), $metadata: {} };
  }

  private runInstances(input: RunInstancesCommandInput) {
    const count = input.MinCount ?? 1;
    if (input.MaxCount !== undefined && input.MaxCount < count) {
      throw awsError('InvalidParameterValue', 'MaxCount must be at least MinCount');
    }
    if (input.ClientToken) {
      const earlier = [...this.instances.values()].filter((i) => i.clientToken === input.ClientToken);
      if (earlier.length > 0) {
        return {
          Instances: earlier.map((i) => this.instanceView(i)),
          ReservationId: earlier[0]?.reservationId,
          $metadata: {},
        };
      }
    }
    const tags: Record<string, string> = {};
    for (const spec of input.TagSpecifications ?? []) {
      if (spec.ResourceType !== 'instance') continue;
      for (const t of spec.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
    }
    const launched = this.create(count, {
      tags,
      launchTime: new Date(),
      state: 'running',
      checks: this.launchChecks,
      ...(input.ImageId ? { imageId: input.ImageId } : {}),
      ...(input.InstanceType ? { instanceType: input.InstanceType } : {}),
      ...(input.SubnetId ? { subnetId: input.SubnetId } : {}),
      ...(input.PrivateIpAddress ? { privateIp: input.PrivateIpAddress } : {}),
      ...(input.ClientToken ? { clientToken: input.ClientToken } : {}),
    });
    return {
      // EC2 answers RunInstances with the instances pending; the fake has them running at once.
      Instances: launched.map((i) => ({
        ...this.instanceView(i),
        State: { Code: 0, Name: 'pending' as const },
      })),
      ReservationId: launched[0]?.reservationId,
      $metadata: {},
    };
  }

  private terminateInstances(input: TerminateInstancesCommandInput) {
    if ((input.InstanceIds ?? []).length === 0) throw awsError('MissingParameter', 'InstanceIds is required');
    const instances = this.selected(input.InstanceIds);
    return {
      TerminatingInstances: instances.map((i) => {
        const previous = i.state;
        i.state = 'terminated';
        return {
          InstanceId: i.id,
          PreviousState: { Code: STATE_CODES[previous], Name: previous },
          CurrentState: { Code: STATE_CODES.terminated, Name: 'terminated' as const },
        };
      }),
      $metadata: {},
    };
  }

  private createTags(input: CreateTagsCommandInput) {
    if ((input.Resources ?? []).length === 0) throw awsError('MissingParameter', 'Resources is required');
    const instances = this.selected(input.Resources);
    for (const i of instances)
      for (const t of input.Tags ?? []) if (t.Key !== undefined) i.tags[t.Key] = t.Value ?? '';
    return { $metadata: {} };
  }
}
