import { type FieldIssue, SpecValidationError } from '../errors.js';

/**
 * Import of InfraKit's own group JSON (`ID`, `Properties.Allocation`, `Properties.Instance`,
 * `Properties.Flavor`, `Properties.Updating`) into this project's spec format.
 *
 * Every key of the document is either mapped to a faithful equivalent or reported as an issue
 * naming its JSON path and the reason; nothing is dropped silently (an instance launched without
 * the user data or disks its InfraKit spec asked for is worse than a refused import). All issues
 * are collected, then thrown together as one `SpecValidationError`; no partial spec is ever
 * returned. The function is pure: the input is only read, and the result shares no objects with it.
 *
 * Values are type-checked here (with InfraKit's paths); their contents (id formats, ranges) are
 * checked afterwards by the spec schema and the provider's and flavor's own validation.
 */

/**
 * InfraKit plugin names that stand for this project's own providers. Any other instance plugin
 * (`simulator/compute`, `instance-gcp`, `aws/ec2-spot-instance`, …) is imported as itself, driven
 * over InfraKit's plugin protocol by the `infrakit` provider.
 */
const INSTANCE_PLUGINS: Record<string, string> = {
  'instance-aws': 'ec2',
  'instance-aws/ec2-instance': 'ec2',
  'aws/ec2-instance': 'ec2',
  aws: 'ec2',
  ec2: 'ec2',
  'instance-process': 'process',
  process: 'process',
  infrakit: 'infrakit',
};

/** The provider that drives InfraKit instance plugins by name. */
const PLUGIN_PROVIDER = 'infrakit';
/** The flavor that drives InfraKit flavor plugins by name. */
const PLUGIN_FLAVOR = 'infrakit';

const FLAVOR_PLUGINS: Record<string, string> = {
  'flavor-vanilla': 'vanilla',
  'flavor-vanilla/vanilla': 'vanilla',
  vanilla: 'vanilla',
};

/** InfraKit's group plugin polled every 10 s; `Updating.Count` is a number of such polls. */
const INFRAKIT_POLL_SECONDS = 10;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when the value looks like an InfraKit group spec rather than one of ours. */
export function isInfrakitSpec(value: unknown): boolean {
  return isObject(value) && ('ID' in value || 'Properties' in value) && !('allocation' in value);
}

/** Go-style durations as InfraKit wrote them (`30s`, `5m`, `1h30m`) → whole seconds. */
export function parseGoDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of text.matchAll(re)) total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1);
  return Math.round(total);
}

const CANNOT_MAP = 'cannot be mapped';

/**
 * One InfraKit object being read: every key is either taken (mapped), refused with a reason, or
 * left over, and `finish` reports each left-over key, so a key can never vanish unnoticed.
 */
class ObjectReader {
  private readonly taken = new Set<string>();

  constructor(
    readonly obj: Json,
    readonly path: string,
    readonly issues: FieldIssue[],
  ) {}

  pathOf(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key);
  }

  /** The value of `key` (undefined when absent), marking it as handled. */
  take(key: string): unknown {
    this.taken.add(key);
    return this.obj[key];
  }

  issue(key: string, message: string): void {
    this.issues.push({ path: this.pathOf(key), message });
  }

  /** `key`, when present, has no equivalent here: an issue saying why. */
  refuse(key: string, reason: string): void {
    if (!this.has(key)) return;
    this.taken.add(key);
    this.issue(key, `${CANNOT_MAP}: ${reason}`);
  }

  /** Reports every key neither taken nor refused; `what` names the object for the message. */
  finish(what: string): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.taken.has(key)) this.issue(key, `${CANNOT_MAP}: not a field of ${what}`);
    }
  }

  string(key: string): string | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    this.issue(key, 'must be a string');
    return undefined;
  }

  integer(key: string): number | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    this.issue(key, 'must be an integer');
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    this.issue(key, 'must be true or false');
    return undefined;
  }

  strings(key: string): string[] | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...v];
    this.issue(key, 'must be a list of strings');
    return undefined;
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (isObject(v) && Object.values(v).every((x) => typeof x === 'string')) {
      return { ...(v as Record<string, string>) };
    }
    this.issue(key, 'must be an object of string values');
    return undefined;
  }

  /** A nested object as its own reader; undefined (with an issue) when present but not an object. */
  object(key: string): ObjectReader | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (isObject(v)) return new ObjectReader(v, this.pathOf(key), this.issues);
    this.issue(key, 'must be an object');
    return undefined;
  }

  list(key: string): { value: unknown; path: string }[] | undefined {
    const v = this.take(key);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v.map((value, i) => ({ value, path: `${this.pathOf(key)}.${i}` }));
    this.issue(key, 'must be a list');
    return undefined;
  }
}

/** Copies the present ones of `fields` (InfraKit key → [our key, type]) from `r` into `out`. */
function copyFields(
  r: ObjectReader,
  out: Json,
  fields: Record<string, readonly [string, 'string' | 'integer' | 'boolean']>,
): void {
  for (const [from, [to, kind]] of Object.entries(fields)) {
    const v = kind === 'string' ? r.string(from) : kind === 'integer' ? r.integer(from) : r.boolean(from);
    if (v !== undefined) out[to] = v;
  }
}

/** The plugin name of an instance or flavor block; undefined (with an issue) when missing. */
function pluginName(r: ObjectReader, key: string): string | undefined {
  const plugin = r.take(key);
  if (typeof plugin !== 'string' || plugin === '') {
    r.issue(key, 'is required (the plugin name)');
    return undefined;
  }
  return plugin;
}

function _mapPlugin(table: Record<string, string>, r: ObjectReader, key: string): string | undefined {
  const plugin = pluginName(r, key);
  if (plugin === undefined) return undefined;
  const mapped = table[plugin];
  if (!mapped) {
    r.issue(key, `plugin ${plugin} has no equivalent here (known: ${Object.keys(table).join(', ')})`);
    return undefined;
  }
  return mapped;
}

const EBS_FIELDS = {
  VolumeSize: ['volumeSize', 'integer'],
  VolumeType: ['volumeType', 'string'],
  Iops: ['iops', 'integer'],
  Throughput: ['throughput', 'integer'],
  Encrypted: ['encrypted', 'boolean'],
  KmsKeyId: ['kmsKeyId', 'string'],
  SnapshotId: ['snapshotId', 'string'],
  // Absent, this project's default applies (true), so a replaced instance's volumes do not pile up.
  DeleteOnTermination: ['deleteOnTermination', 'boolean'],
} as const;

function blockDeviceMappings(items: { value: unknown; path: string }[], issues: FieldIssue[]): Json[] {
  const out: Json[] = [];
  for (const { value, path } of items) {
    if (!isObject(value)) {
      issues.push({ path, message: 'must be an object' });
      continue;
    }
    const r = new ObjectReader(value, path, issues);
    const mapping: Json = {};
    copyFields(r, mapping, { DeviceName: ['deviceName', 'string'], VirtualName: ['virtualName', 'string'] });
    // EC2's NoDevice is a string whose presence (usually "") suppresses the device.
    if (r.has('NoDevice')) {
      if (r.string('NoDevice') !== undefined) mapping.noDevice = true;
    }
    const ebs = r.object('Ebs');
    if (ebs) {
      const mapped: Json = {};
      copyFields(ebs, mapped, EBS_FIELDS);
      ebs.finish('an EBS volume of the ec2 provider');
      mapping.ebs = mapped;
    }
    r.finish('a block device mapping of the ec2 provider');
    out.push(mapping);
  }
  return out;
}

function iamInstanceProfile(r: ObjectReader): string | undefined {
  const name = r.string('Name');
  const arn = r.string('Arn');
  r.finish('an instance profile (Name or Arn)');
  if (name !== undefined && arn !== undefined && !arn.endsWith(`/${name}`)) {
    r.issue('Name', `${CANNOT_MAP}: names another profile than Arn; give one of them`);
    return undefined;
  }
  return arn ?? name;
}

/** `InstanceMarketOptions` → `spot`, when EC2's Spot request type is the one the provider would use. */
function spotOptions(r: ObjectReader): Json | undefined {
  const market = r.string('MarketType');
  if (market !== undefined && market !== 'spot')
    r.issue('MarketType', `${CANNOT_MAP}: only spot is supported`);
  const options = r.object('SpotOptions');
  r.finish('the market options (MarketType, SpotOptions)');
  const spot: Json = {};
  if (options) {
    copyFields(options, spot, {
      MaxPrice: ['maxPrice', 'string'],
      InstanceInterruptionBehavior: ['interruptionBehavior', 'string'],
    });
    // The provider asks for a one-time request when instances are terminated on interruption and
    // a persistent one otherwise (EC2 only stops or hibernates persistent requests).
    const type = options.string('SpotInstanceType');
    const behaviour = spot.interruptionBehavior ?? 'terminate';
    const expected = behaviour === 'terminate' ? 'one-time' : 'persistent';
    if (type !== undefined && type !== expected) {
      options.issue(
        'SpotInstanceType',
        `${CANNOT_MAP}: with interruption behaviour ${behaviour} the ec2 provider always makes a ${expected} request`,
      );
    }
    options.refuse('BlockDurationMinutes', 'Spot blocks have no equivalent in the ec2 provider');
    options.refuse('ValidUntil', 'the ec2 provider has no Spot request expiry');
    options.finish('the Spot options of the ec2 provider');
  }
  return market === 'spot' || market === undefined ? spot : undefined;
}

/**
 * RunInstancesInput fields the ec2 provider has no setting for, with the reason (and, where one
 * exists, the way to say the same thing here). Any other unmapped field gets a generic reason.
 */
const RUN_INSTANCES_REFUSED: Record<string, string> = {
  UserData:
    'the init script comes from the flavor here: put the decoded script in Properties.Flavor.Properties.Init',
  Placement:
    'the ec2 provider has no placement settings (availability zone, tenancy, placement group); the subnet decides the zone',
  NetworkInterfaces:
    'the ec2 provider has no network interface settings; use SubnetId and SecurityGroupIds (a public IP follows the subnet)',
  SecurityGroups: 'security group names have no equivalent; use SecurityGroupIds',
  PrivateIpAddress:
    'one fixed address cannot be shared by the group; for pets, list IPv4 addresses in Properties.Allocation.LogicalIDs',
  TagSpecifications:
    'per-resource tags have no equivalent (instances and their volumes get the same tags); use Properties.Instance.Properties.Tags',
  ClientToken: 'the controller derives its own client token for every launch',
  EbsOptimized: 'the ec2 provider has no EBS-optimization setting (use a launch template)',
  InstanceInitiatedShutdownBehavior:
    'the ec2 provider has no shutdown-behaviour setting (use a launch template)',
};

/**
 * RunInstancesInput fields accepted only with one value, because that value changes nothing here.
 * DryRun, DisableApiTermination and Monitoring.Enabled at `false` are EC2's defaults, which the
 * provider's launches get too. MinCount/MaxCount at 1: InfraKit's plugin launched one instance per
 * call, and the controller launches as many as the group needs. Any other value is an issue.
 */
const RUN_INSTANCES_NO_EFFECT: Record<string, { value: unknown; otherwise: string }> = {
  DryRun: { value: false, otherwise: 'a dry run would launch nothing' },
  DisableApiTermination: {
    value: false,
    otherwise: 'termination protection would stop the controller from replacing instances',
  },
  Monitoring: {
    value: { Enabled: false },
    otherwise: 'the ec2 provider has no detailed-monitoring setting (use a launch template)',
  },
  MinCount: { value: 1, otherwise: 'the controller decides how many instances each launch asks for' },
  MaxCount: { value: 1, otherwise: 'the controller decides how many instances each launch asks for' },
};

function ec2RunInstances(r: ObjectReader, out: Json): void {
  copyFields(r, out, {
    ImageId: ['imageId', 'string'],
    InstanceType: ['instanceType', 'string'],
    KeyName: ['keyName', 'string'],
  });
  const subnet = r.string('SubnetId');
  if (subnet !== undefined) out.subnetIds = [subnet];
  const groups = r.strings('SecurityGroupIds');
  if (groups !== undefined) out.securityGroupIds = groups;
  const profile = r.object('IamInstanceProfile');
  if (profile) {
    const p = iamInstanceProfile(profile);
    if (p !== undefined) out.iamInstanceProfile = p;
  }
  const devices = r.list('BlockDeviceMappings');
  if (devices) out.blockDeviceMappings = blockDeviceMappings(devices, r.issues);
  const template = r.object('LaunchTemplate');
  if (template) {
    const lt: Json = {};
    copyFields(template, lt, {
      LaunchTemplateId: ['id', 'string'],
      LaunchTemplateName: ['name', 'string'],
      Version: ['version', 'string'],
    });
    template.finish('a launch template reference (LaunchTemplateId, LaunchTemplateName, Version)');
    out.launchTemplate = lt;
  }
  const metadata = r.object('MetadataOptions');
  if (metadata) {
    const md: Json = {};
    copyFields(metadata, md, {
      HttpTokens: ['httpTokens', 'string'],
      HttpEndpoint: ['httpEndpoint', 'string'],
      HttpPutResponseHopLimit: ['httpPutResponseHopLimit', 'integer'],
      InstanceMetadataTags: ['instanceMetadataTags', 'string'],
    });
    metadata.finish('the metadata options of the ec2 provider');
    out.metadataOptions = md;
  }
  const market = r.object('InstanceMarketOptions');
  if (market) {
    const spot = spotOptions(market);
    if (spot) out.spot = spot;
  }
  for (const [key, { value, otherwise }] of Object.entries(RUN_INSTANCES_NO_EFFECT)) {
    if (!r.has(key)) continue;
    if (JSON.stringify(r.take(key)) !== JSON.stringify(value)) {
      r.issue(key, `${CANNOT_MAP} unless ${JSON.stringify(value)}: ${otherwise}`);
    }
  }
  for (const [key, reason] of Object.entries(RUN_INSTANCES_REFUSED)) r.refuse(key, reason);
  r.finish('the ec2 provider’s settings');
}

/** The devices an InfraKit list of attach inputs names (`[{ Device, VolumeId }]`), for a message. */
function devicesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => (isObject(v) && typeof v.Device === 'string' ? [v.Device] : []));
}

/** What `instance.properties.volumes` would say for `devices`, as an example in a message. */
function volumesExample(devices: readonly string[]): string {
  const list = (devices.length > 0 ? devices : ['/dev/sdf']).map((d) => `{ device: ${d}, sizeGiB: <size> }`);
  return `instance.properties.volumes: [${list.join(', ')}]`;
}

/**
 * Why `AttachVolumeInputs` does not map, and what does: InfraKit attaches the named existing
 * volumes to each instance; here a pet keeps volumes the controller created once for its logical
 * ID (found by tags, re-attached to every replacement). Existing volumes are not adopted: the
 * controller never tags what it did not create. Their size is not in the input, so it is asked for.
 */
function attachVolumesReason(value: unknown): string {
  return `existing volumes are not adopted (the controller attaches only volumes it created and tagged); for pets, each logical ID keeps its own volumes across replacement with ${volumesExample(devicesOf(value))}`;
}

/** Why the vanilla flavor's `Attachments` (volumes per logical ID, by id) does not map, and what does. */
function attachmentsReason(value: unknown): string {
  const kinds = new Set<string>();
  const lists = isObject(value) ? Object.values(value) : Array.isArray(value) ? [value] : [];
  for (const list of lists)
    for (const a of Array.isArray(list) ? list : [])
      if (isObject(a) && typeof a.Type === 'string') kinds.add(a.Type);
  const other = [...kinds].filter((k) => k !== 'ebs');
  return (
    'attachments by existing id are not adopted (the controller attaches only what it created and tagged); ' +
    `each logical ID keeps its own volumes, network interface and Elastic IP across replacement with ${volumesExample([])}, networkInterface: true, elasticIp: true` +
    (other.length > 0 ? `; attachment types ${other.join(', ')} have no equivalent` : '')
  );
}

/** InfraKit's AWS instance plugin: `{RunInstancesInput, Tags, AttachVolumeInputs}`. */
function ec2Properties(r: ObjectReader): Json {
  const out: Json = {};
  const run = r.object('RunInstancesInput');
  if (run) ec2RunInstances(run, out);
  const tags = r.stringMap('Tags');
  if (tags !== undefined) out.tags = tags;
  r.refuse('AttachVolumeInputs', attachVolumesReason(r.obj.AttachVolumeInputs));
  r.finish('InfraKit’s AWS instance properties (RunInstancesInput, Tags, AttachVolumeInputs)');
  return out;
}

/** InfraKit's vanilla flavor: `{Init, Tags, Attachments, InitScriptTemplateURL}`. */
function vanillaProperties(r: ObjectReader): Json {
  const out: Json = {};
  const init = r.strings('Init');
  if (init !== undefined) out.init = init;
  const tags = r.stringMap('Tags');
  if (tags !== undefined) out.tags = tags;
  r.refuse('Attachments', attachmentsReason(r.obj.Attachments));
  r.refuse(
    'InitScriptTemplateURL',
    'init script templates are not rendered here; render the script and list its lines in Init',
  );
  r.finish('InfraKit’s vanilla flavor properties (Init, Tags)');
  return out;
}

const OPTIONS_REASON =
  'plugin launch options have no equivalent: providers and flavors are built into the controller, and InfraKit plugins are started outside it (in the plugins folder)';

function instanceBlock(r: ObjectReader): Json | undefined {
  const plugin = pluginName(r, 'Plugin');
  const props = r.object('Properties');
  r.refuse('Options', OPTIONS_REASON);
  r.finish('an InfraKit instance block (Plugin, Properties)');
  if (plugin === undefined) return undefined;
  // Exact names only: `aws/ec2-spot-instance` is another object of InfraKit's AWS plugin, with
  // other properties, and must not pass for `aws/ec2-instance`: it is driven as itself.
  const provider = INSTANCE_PLUGINS[plugin];
  if (provider === 'ec2') return { provider, properties: props ? ec2Properties(props) : {} };
  if (provider !== undefined) {
    // InfraKit had no process plugin, and `infrakit` names this project's provider: these
    // properties are already this project's own format, and the provider's strict schema reports
    // any unknown key.
    return { provider, properties: props ? structuredClone(props.obj) : {} };
  }
  // Any other plugin is InfraKit's own: its properties go to it unread, as InfraKit sent them.
  return {
    provider: PLUGIN_PROVIDER,
    properties: { plugin, properties: props ? structuredClone(props.obj) : {} },
  };
}

function flavorBlock(r: ObjectReader | undefined): Json | undefined {
  if (!r) return { kind: 'vanilla', properties: {} };
  const plugin = pluginName(r, 'Plugin');
  const props = r.object('Properties');
  r.refuse('Options', OPTIONS_REASON);
  r.finish('an InfraKit flavor block (Plugin, Properties)');
  if (plugin === undefined) return undefined;
  const kind = FLAVOR_PLUGINS[plugin];
  if (kind !== undefined) return { kind, properties: props ? vanillaProperties(props) : {} };
  // Any other flavor plugin is InfraKit's own (swarm, …): driven as itself, properties unread.
  return {
    kind: PLUGIN_FLAVOR,
    properties: { plugin, properties: props ? structuredClone(props.obj) : {} },
  };
}

function allocationBlock(r: ObjectReader | undefined, issues: FieldIssue[]): Json {
  const allocation: Json = {};
  if (!r) {
    issues.push({ path: 'Properties.Allocation', message: 'needs Size or LogicalIDs' });
    return allocation;
  }
  const size = r.integer('Size');
  const ids = r.strings('LogicalIDs');
  if (size !== undefined) allocation.size = size;
  if (ids !== undefined) allocation.logicalIds = ids;
  if (!r.has('Size') && !r.has('LogicalIDs'))
    issues.push({ path: r.path, message: 'needs Size or LogicalIDs' });
  if (r.has('Size') && r.has('LogicalIDs'))
    issues.push({ path: r.path, message: 'needs Size or LogicalIDs, not both' });
  r.finish('an InfraKit allocation (Size, LogicalIDs)');
  return allocation;
}

function updateBlock(r: ObjectReader): Json {
  const update: Json = {};
  const count = r.integer('Count');
  const duration = r.string('Duration');
  if (r.has('Count') && r.has('Duration')) r.issue('Count', 'Count and Duration cannot both be set');
  if (duration !== undefined) {
    const seconds = parseGoDuration(duration);
    if (seconds === undefined) r.issue('Duration', 'is not a duration like 30s or 5m');
    else update.minHealthySeconds = seconds;
  } else if (count !== undefined) {
    update.minHealthySeconds = count * INFRAKIT_POLL_SECONDS;
  }
  r.refuse('SkipBeforeInstanceDestroy', 'the flavor’s drain always runs before an instance is terminated');
  r.finish('InfraKit’s update settings (Count, Duration)');
  return update;
}

/** Converts InfraKit group JSON; throws a `SpecValidationError` naming everything that cannot be mapped. */
export function fromInfrakit(value: unknown): Json {
  const issues: FieldIssue[] = [];
  const root = new ObjectReader(isObject(value) ? value : {}, '', issues);
  const id = root.take('ID');
  if (id !== undefined && typeof id !== 'string') root.issue('ID', 'must be a string');
  if (!root.has('Properties')) issues.push({ path: 'Properties', message: 'is required (an object)' });
  const props = root.object('Properties') ?? new ObjectReader({}, 'Properties', issues);
  root.finish('an InfraKit group (ID, Properties)');

  const allocation = allocationBlock(props.object('Allocation'), issues);
  const instanceReader = props.object('Instance');
  const instance = instanceBlock(instanceReader ?? new ObjectReader({}, 'Properties.Instance', issues));
  const flavor = flavorBlock(props.object('Flavor'));
  const updating = props.object('Updating');
  const update = updating ? updateBlock(updating) : {};
  props.finish('InfraKit’s group properties (Allocation, Instance, Flavor, Updating)');

  if (issues.length > 0) throw new SpecValidationError(issues);
  const spec: Json = {
    id: typeof id === 'string' ? id.toLowerCase() : id,
    allocation,
    instance,
    flavor,
  };
  if (Object.keys(update).length > 0) spec.update = update;
  return spec;
}
