import * as z from 'zod';
import { parseWith } from '../../spec/validate.js';
import { isAwsReservedTag, isControllerTag, RESERVED_TAG_KEYS } from '../../tags.js';
import {
  EC2_MAX_TAG_KEY_LENGTH,
  EC2_MAX_TAG_VALUE_LENGTH,
  EC2_MAX_TAGS,
  MAX_PROPERTY_TAGS,
} from './launch-limits.js';

/**
 * `instance.properties` of an `ec2` group. Either a launch template (whose settings the inline
 * fields below override) or an inline launch configuration (`imageId` plus an instance type).
 * Every object is strict: an unknown key is an error, so a typo never passes silently.
 */

const IMAGE_ID = /^ami-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const LAUNCH_TEMPLATE_ID = /^lt-[0-9a-f]{8,17}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[\w+=,.@/-]{1,128}$/;
const INSTANCE_PROFILE_NAME = /^[\w+=,.@-]{1,128}$/;

const uniqueStrings = (pattern: RegExp, what: string, max: number) =>
  z
    .array(z.string().regex(pattern, `must be ${what}`))
    .min(1)
    .max(max)
    .refine((xs) => new Set(xs).size === xs.length, 'must not contain duplicates');

export const LaunchTemplateSchema = z
  .strictObject({
    id: z
      .string()
      .regex(LAUNCH_TEMPLATE_ID, 'must be a launch template id such as lt-0abc12345678def90')
      .optional(),
    name: z
      .string()
      .regex(/^[a-zA-Z0-9().\-/_]{3,128}$/, 'must be 3-128 characters of letters, digits and ( ) . - / _')
      .optional(),
    /** A version number, `$Latest` or `$Default`. @default $Default (EC2's choice) */
    version: z
      .string()
      .regex(/^(\$Latest|\$Default|[1-9]\d{0,8})$/, 'must be a version number, $Latest or $Default')
      .optional(),
  })
  .refine((t) => (t.id === undefined) !== (t.name === undefined), {
    message: 'exactly one of id or name is required',
  });

export const EbsSchema = z.strictObject({
  volumeSize: z.int().min(1).max(65_536).optional(),
  volumeType: z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).optional(),
  iops: z.int().min(100).max(256_000).optional(),
  throughput: z.int().min(125).max(2_000).optional(),
  encrypted: z.boolean().optional(),
  kmsKeyId: z.string().min(1).max(2048).optional(),
  snapshotId: z
    .string()
    .regex(/^snap-[0-9a-f]{8,17}$/, 'must be a snapshot id')
    .optional(),
  /** Volumes of a replaced instance must not pile up. @default true */
  deleteOnTermination: z.boolean().default(true),
});

export const BlockDeviceMappingSchema = z.strictObject({
  deviceName: z.string().regex(/^\/dev\/[a-z0-9]+$|^xvd[a-z]+$/, 'must be a device name such as /dev/xvda'),
  ebs: EbsSchema.optional(),
  virtualName: z
    .string()
    .regex(/^ephemeral\d+$/, 'must be ephemeralN')
    .optional(),
  noDevice: z.boolean().optional(),
});

export const MetadataOptionsSchema = z.strictObject({
  /** `required` is IMDSv2 only: the secure default. @default required */
  httpTokens: z.enum(['required', 'optional']).default('required'),
  httpEndpoint: z.enum(['enabled', 'disabled']).default('enabled'),
  /** 2 lets containers on the instance reach IMDSv2. @default 2 */
  httpPutResponseHopLimit: z.int().min(1).max(64).default(2),
  instanceMetadataTags: z.enum(['enabled', 'disabled']).optional(),
});

export const SpotSchema = z.strictObject({
  /** Highest hourly price in USD, as a decimal string; absent means the on-demand price. */
  maxPrice: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,8})?$/, 'must be a decimal price such as 0.05')
    .optional(),
  /** What EC2 does on interruption. stop and hibernate need a persistent Spot request. @default terminate */
  interruptionBehavior: z.enum(['terminate', 'stop', 'hibernate']).default('terminate'),
});

/**
 * Extra tags: never the controller's `infrakit.*` nor AWS's `aws:*`, and few enough to leave room
 * for the controller's own within EC2's 50 per resource. Checked on the record, so that each issue
 * names its key and says why (a failing record key only reads "Invalid key in record").
 */
const TagsSchema = z
  .record(z.string().min(1).max(EC2_MAX_TAG_KEY_LENGTH), z.string().max(EC2_MAX_TAG_VALUE_LENGTH))
  .superRefine((tags, ctx) => {
    const keys = Object.keys(tags);
    for (const key of keys) {
      if (isControllerTag(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'infrakit.* tags are the controller’s own and cannot be set here',
        });
      else if (isAwsReservedTag(key))
        ctx.addIssue({ code: 'custom', path: [key], message: 'aws:* tags are reserved by AWS' });
    }
    if (keys.length > MAX_PROPERTY_TAGS)
      ctx.addIssue({
        code: 'custom',
        message:
          `${keys.length} tags, at most ${MAX_PROPERTY_TAGS}: EC2 allows ${EC2_MAX_TAGS} per resource ` +
          `and keeps ${EC2_MAX_TAGS - MAX_PROPERTY_TAGS} for the controller's own (${RESERVED_TAG_KEYS.join(', ')})`,
      });
  });

/**
 * One data volume a pet keeps across replacement: created once per logical ID (in the AZ of its
 * first launch), attached to every instance that holds the logical ID, never deleted by a
 * replacement. Its settings apply when it is created; an existing volume is kept as it is.
 */
export const PetVolumeSchema = z
  .strictObject({
    /** Where the instance sees it, such as /dev/sdf (the root device is the image's). */
    device: z
      .string()
      .regex(/^\/dev\/(sd[b-z]|xvd[b-z])$/, 'must be a data device name such as /dev/sdf or /dev/xvdf'),
    sizeGiB: z.int().min(1).max(65_536),
    type: z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).default('gp3'),
    iops: z.int().min(100).max(256_000).optional(),
    throughput: z.int().min(125).max(2_000).optional(),
    /** Data at rest is encrypted unless said otherwise. @default true */
    encrypted: z.boolean().default(true),
    kmsKeyId: z.string().min(1).max(2048).optional(),
    snapshotId: z
      .string()
      .regex(/^snap-[0-9a-f]{8,17}$/, 'must be a snapshot id')
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.iops !== undefined && !['gp3', 'io1', 'io2'].includes(v.type))
      ctx.addIssue({ code: 'custom', path: ['iops'], message: 'only gp3, io1 and io2 volumes take iops' });
    if (v.throughput !== undefined && v.type !== 'gp3')
      ctx.addIssue({ code: 'custom', path: ['throughput'], message: 'only gp3 volumes take throughput' });
    if ((v.type === 'io1' || v.type === 'io2') && v.iops === undefined)
      ctx.addIssue({ code: 'custom', path: ['iops'], message: `required for ${v.type} volumes` });
  });

/** Elastic IP allocation ids, as `eipalloc-…`. */
const ALLOCATION_ID = /^eipalloc-[0-9a-f]{8,17}$/;

/**
 * A pet's Elastic IP: `true` allocates one per logical ID (tagged, found again, released only with
 * the logical ID's volumes), or the operator's own allocations by logical ID (never released).
 */
export const ElasticIpSchema = z.union([
  z.boolean(),
  z.strictObject({
    allocationIds: z.record(
      z.string().min(1),
      z.string().regex(ALLOCATION_ID, 'must be an allocation id such as eipalloc-0abc12345678def90'),
    ),
  }),
]);

export const Ec2PropertiesSchema = z
  .strictObject({
    launchTemplate: LaunchTemplateSchema.optional(),
    imageId: z.string().regex(IMAGE_ID, 'must be an AMI id such as ami-0abc12345678def90').optional(),
    /** First choice of instance type. */
    instanceType: z.string().regex(INSTANCE_TYPE, 'must be an instance type such as t3.micro').optional(),
    /** Fallbacks tried in order when EC2 lacks capacity for the types before them. */
    instanceTypes: uniqueStrings(INSTANCE_TYPE, 'an instance type such as t3.micro', 20).optional(),
    /** Subnets (ideally one per AZ) that new instances are spread across. */
    subnetIds: uniqueStrings(SUBNET_ID, 'a subnet id such as subnet-0abc1234', 32).optional(),
    securityGroupIds: uniqueStrings(
      SECURITY_GROUP_ID,
      'a security group id such as sg-0abc1234',
      16,
    ).optional(),
    keyName: z.string().min(1).max(255).optional(),
    /** An instance profile name or ARN. */
    iamInstanceProfile: z
      .string()
      .refine(
        (v) => INSTANCE_PROFILE_ARN.test(v) || INSTANCE_PROFILE_NAME.test(v),
        'must be an instance profile name or arn:aws:iam::<account>:instance-profile/<name>',
      )
      .optional(),
    blockDeviceMappings: z.array(BlockDeviceMappingSchema).max(32).optional(),
    metadataOptions: MetadataOptionsSchema.prefault({}),
    spot: SpotSchema.optional(),
    /** Extra tags on every instance and volume; the controller's own tags always win. */
    tags: TagsSchema.default({}),
    /** Pets: data volumes each logical ID keeps across replacement. */
    volumes: z
      .array(PetVolumeSchema)
      .min(1)
      .max(16)
      .refine((vs) => new Set(vs.map((v) => v.device)).size === vs.length, 'devices must differ')
      .optional(),
    /**
     * Pets: one network interface per logical ID, attached as device 0 at launch, so that the
     * private IP and MAC address survive replacement. It takes `securityGroupIds` when created.
     */
    networkInterface: z.boolean().optional(),
    /** Pets: an Elastic IP per logical ID, associated with its network interface or instance. */
    elasticIp: ElasticIpSchema.optional(),
    /**
     * Pets: keep the volumes, network interface and Elastic IP of a logical ID removed from the
     * spec (`false`: delete them once its instance is gone). A destroy keeps them either way unless
     * asked with `deleteVolumes`. @default true
     */
    retainRemoved: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    // A volume lives in one AZ and an interface in one subnet: where they are made must be known.
    for (const key of ['volumes', 'networkInterface'] as const) {
      if (p[key] && (p.subnetIds ?? []).length === 0)
        ctx.addIssue({ code: 'custom', path: [key], message: 'needs subnetIds (where it is created)' });
    }
    if (p.networkInterface && p.launchTemplate)
      ctx.addIssue({
        code: 'custom',
        path: ['networkInterface'],
        message: 'cannot be combined with launchTemplate (the template may bring its own interfaces)',
      });
    if (p.launchTemplate) return; // the template supplies the image and type; inline fields override
    if (p.imageId === undefined)
      ctx.addIssue({ code: 'custom', path: ['imageId'], message: 'required unless launchTemplate is given' });
    if (p.instanceType === undefined && p.instanceTypes === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['instanceType'],
        message: 'instanceType or instanceTypes is required unless launchTemplate is given',
      });
  });

export type Ec2Properties = z.output<typeof Ec2PropertiesSchema>;

/** What a pet keeps across replacement, by kind; undefined for none. */
export function petResourcesOf(
  p: Ec2Properties,
): { volumes: boolean; eni: boolean; eip: boolean } | undefined {
  const volumes = (p.volumes ?? []).length > 0;
  const eni = p.networkInterface === true;
  const eip = p.elasticIp !== undefined && p.elasticIp !== false;
  return volumes || eni || eip ? { volumes, eni, eip } : undefined;
}

/** Validates and normalizes properties (defaults filled in); throws `SpecValidationError` with field paths. */
export function parseEc2Properties(properties: unknown): Ec2Properties {
  return parseWith(Ec2PropertiesSchema, properties ?? {});
}

/**
 * The instance types to try, in order: `instanceType` first, then `instanceTypes` (deduplicated).
 * `[undefined]` when a launch template chooses the type.
 */
export function instanceTypeChoices(p: Ec2Properties): readonly (string | undefined)[] {
  const all = [...(p.instanceType ? [p.instanceType] : []), ...(p.instanceTypes ?? [])];
  const unique = [...new Set(all)];
  return unique.length > 0 ? unique : [undefined];
}
