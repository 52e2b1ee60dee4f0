import { SpecValidationError } from '../errors.js';

/**
 * Import of InfraKit's own group JSON (`ID`, `Properties.Allocation`, `Properties.Instance`,
 * `Properties.Flavor`, `Properties.Updating`) into this project's spec format. The result is an
 * unvalidated spec object: it goes through the normal schema afterwards.
 */

const INSTANCE_PLUGINS: Record<string, string> = {
  'instance-aws': 'ec2',
  'instance-aws/ec2-instance': 'ec2',
  'aws/ec2-instance': 'ec2',
  aws: 'ec2',
  ec2: 'ec2',
  'instance-process': 'process',
  process: 'process',
};

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

function mapPlugin(table: Record<string, string>, plugin: unknown, path: string, issues: Issue[]): string {
  if (typeof plugin !== 'string' || plugin === '') {
    issues.push({ path, message: 'is required (the plugin name)' });
    return '';
  }
  const mapped = table[plugin] ?? table[plugin.split('/')[0] ?? ''];
  if (!mapped) {
    issues.push({
      path,
      message: `plugin ${plugin} has no equivalent here (known: ${Object.keys(table).join(', ')})`,
    });
    return '';
  }
  return mapped;
}

interface Issue {
  path: string;
  message: string;
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

/** InfraKit's AWS instance plugin nested EC2's own RunInstancesInput; map what has an equivalent. */
function ec2Properties(props: Json): Json {
  const run = isObject(props.RunInstancesInput) ? props.RunInstancesInput : {};
  const out: Json = {};
  if (typeof run.ImageId === 'string') out.imageId = run.ImageId;
  if (typeof run.InstanceType === 'string') out.instanceType = run.InstanceType;
  if (typeof run.KeyName === 'string') out.keyName = run.KeyName;
  if (typeof run.SubnetId === 'string') out.subnetIds = [run.SubnetId];
  if (Array.isArray(run.SecurityGroupIds)) out.securityGroupIds = run.SecurityGroupIds;
  const profile = isObject(run.IamInstanceProfile) ? run.IamInstanceProfile : undefined;
  if (profile && typeof profile.Name === 'string') out.iamInstanceProfile = profile.Name;
  if (profile && typeof profile.Arn === 'string') out.iamInstanceProfile = profile.Arn;
  if (isObject(props.Tags)) out.tags = props.Tags;
  return out;
}

function flavorProperties(props: Json): Json {
  const out: Json = {};
  if (Array.isArray(props.Init)) out.init = props.Init;
  if (isObject(props.Tags)) out.tags = props.Tags;
  return out;
}

/** Converts InfraKit group JSON; throws a `SpecValidationError` naming what cannot be mapped. */
export function fromInfrakit(value: unknown): Json {
  const issues: Issue[] = [];
  const root = isObject(value) ? value : {};
  const props = isObject(root.Properties) ? root.Properties : {};
  if (!isObject(root.Properties)) issues.push({ path: 'Properties', message: 'is required (an object)' });

  const alloc = isObject(props.Allocation) ? props.Allocation : {};
  const allocation: Json = {};
  if (alloc.Size !== undefined) allocation.size = alloc.Size;
  if (alloc.LogicalIDs !== undefined) allocation.logicalIds = alloc.LogicalIDs;
  if (alloc.Size === undefined && alloc.LogicalIDs === undefined) {
    issues.push({ path: 'Properties.Allocation', message: 'needs Size or LogicalIDs' });
  }

  const inst = isObject(props.Instance) ? props.Instance : {};
  const provider = mapPlugin(INSTANCE_PLUGINS, inst.Plugin, 'Properties.Instance.Plugin', issues);
  const instProps = isObject(inst.Properties) ? inst.Properties : {};

  const flav = isObject(props.Flavor) ? props.Flavor : { Plugin: 'vanilla' };
  const kind = mapPlugin(FLAVOR_PLUGINS, flav.Plugin, 'Properties.Flavor.Plugin', issues);
  const flavProps = isObject(flav.Properties) ? flav.Properties : {};

  const update: Json = {};
  const updating = isObject(props.Updating) ? props.Updating : {};
  if (typeof updating.Duration === 'string') {
    const seconds = parseGoDuration(updating.Duration);
    if (seconds === undefined)
      issues.push({ path: 'Properties.Updating.Duration', message: 'is not a duration like 30s or 5m' });
    else update.minHealthySeconds = seconds;
  } else if (typeof updating.Count === 'number') {
    update.minHealthySeconds = updating.Count * INFRAKIT_POLL_SECONDS;
  }

  if (issues.length > 0) throw new SpecValidationError(issues);
  const spec: Json = {
    id: typeof root.ID === 'string' ? root.ID.toLowerCase() : root.ID,
    allocation,
    instance: { provider, properties: provider === 'ec2' ? ec2Properties(instProps) : instProps },
    flavor: { kind, properties: flavorProperties(flavProps) },
  };
  if (Object.keys(update).length > 0) spec.update = update;
  return spec;
}
