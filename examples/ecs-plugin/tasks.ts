import {
  DescribeTasksCommand,
  type ECSClient,
  paginateListTasks,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { INVALID_PARAMS, RpcError, type RpcMethod } from './rpc.js';

/**
 * An InfraKit `Instance/0.6.1` plugin whose instances are ECS tasks on Fargate, in one cluster.
 *
 * - `Provision`: `RunTask` (Fargate, awsvpc), tagged at launch with the spec's tags; the spec's
 *   `Init` goes to the named container as `INFRAKIT_INIT`. The task's ARN is the instance ID.
 * - `DescribeInstances`: the cluster's tasks meant to run (`ListTasks`, desired status RUNNING),
 *   read with their tags (`DescribeTasks`, 100 at a time), those carrying every asked tag. All or
 *   nothing: a task ECS fails to describe for any reason but being gone fails the call.
 * - `Destroy`: `StopTask`; a task already stopped or gone counts as destroyed.
 * - `Label`: `TagResource` on the task.
 *
 * Only task ARNs of its own cluster are accepted as IDs: the controller sends back only IDs this
 * plugin described, and the plugin's role is scoped to the cluster anyway.
 */

/** `instance.properties.properties` of a group on this plugin. Unknown keys are errors. */
export const TaskPropertiesSchema = z.strictObject({
  /** Task definition family, `family:revision` or ARN; must be Fargate-compatible. */
  taskDefinition: z.string().min(1).max(1600),
  /** Subnets of the tasks' network interfaces (awsvpc). */
  subnets: z
    .array(z.string().regex(/^subnet-[0-9a-f]+$/))
    .min(1)
    .max(16),
  /** Security groups of the tasks' network interfaces. */
  securityGroups: z
    .array(z.string().regex(/^sg-[0-9a-f]+$/))
    .min(1)
    .max(5),
  /** @default false */
  assignPublicIp: z.boolean().default(false),
  /** The container that gets the spec's `Init` as `INFRAKIT_INIT`; without it, an `Init` is refused. */
  container: z.string().min(1).max(255).optional(),
  /** Fargate platform version. @default LATEST */
  platformVersion: z.string().min(1).max(32).optional(),
});
export type TaskProperties = z.output<typeof TaskPropertiesSchema>;

const Tags = z.record(z.string(), z.string()).nullish();
const SpecParams = z.looseObject({
  Spec: z.looseObject({
    Properties: z.unknown(),
    Tags,
    Init: z.string().nullish(),
    LogicalID: z.string().nullish(),
  }),
});
const DescribeParams = z.looseObject({ Tags, Properties: z.boolean().nullish() });
const DestroyParams = z.looseObject({
  Instance: z.string(),
  Context: z.looseObject({ Reason: z.string().nullish() }).nullish(),
});
const LabelParams = z.looseObject({ Instance: z.string(), Labels: Tags });

/** InfraKit's tag for a pet's logical ID (it sends and reads InfraKit's own names). */
const LOGICAL_ID_TAG = 'infrakit.logical_id';

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new RpcError(INVALID_PARAMS, `${at}: ${issue?.message ?? 'invalid'}`);
}

export interface EcsTasksOptions {
  readonly client: ECSClient;
  /** The cluster's name or ARN. */
  readonly cluster: string;
}

/** The plugin's JSON-RPC methods over `client`, for `answer` (`rpc.ts`). */
export function ecsTaskMethods(options: EcsTasksOptions): Record<string, RpcMethod> {
  const { client, cluster } = options;
  const clusterName = cluster.includes('/') ? cluster.slice(cluster.lastIndexOf('/') + 1) : cluster;
  const ownTask = (id: string): string => {
    if (!new RegExp(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:task/${clusterName}/[A-Za-z0-9-]+$`).test(id))
      throw new RpcError(INVALID_PARAMS, `not a task of cluster ${clusterName}: ${id}`);
    return id;
  };

  /** The tasks among `arns` that are meant to run, with their tags; gone ones are left out. */
  const read = async (arns: readonly string[]): Promise<Task[]> => {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await client.send(
        new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
      );
      const failed = (out.failures ?? []).filter((f) => f.reason !== 'MISSING');
      if (failed.length > 0)
        throw new Error(`DescribeTasks failed for ${failed.map((f) => `${f.arn}: ${f.reason}`).join(', ')}`);
      tasks.push(...(out.tasks ?? []).filter((t) => t.desiredStatus !== 'STOPPED'));
    }
    return tasks;
  };
  const tagsOf = (task: Task): Record<string, string> =>
    Object.fromEntries((task.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));

  return {
    'Handshake.Hello': async () => ({ Objects: { 'Instance/0.6.1': [{ Name: '.', ProxyFor: '' }] } }),
    'Handshake.Implements': async () => ({ APIs: [{ Name: 'Instance', Version: '0.6.1' }] }),

    'Instance.Validate': async (params) => {
      parse(TaskPropertiesSchema, params.Properties ?? {}, 'Properties');
      return { Type: params.Type ?? '', OK: true };
    },

    'Instance.Provision': async (params) => {
      const { Spec } = parse(SpecParams, params, 'params');
      const p = parse(TaskPropertiesSchema, Spec.Properties ?? {}, 'Spec.Properties');
      if (Spec.Init && !p.container)
        throw new RpcError(
          INVALID_PARAMS,
          'Spec.Init is given but Properties.container names no container for it',
        );
      const tags = { ...(Spec.Tags ?? {}), ...(Spec.LogicalID ? { [LOGICAL_ID_TAG]: Spec.LogicalID } : {}) };
      const out = await client.send(
        new RunTaskCommand({
          cluster,
          taskDefinition: p.taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          ...(p.platformVersion ? { platformVersion: p.platformVersion } : {}),
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: p.subnets,
              securityGroups: p.securityGroups,
              assignPublicIp: p.assignPublicIp ? 'ENABLED' : 'DISABLED',
            },
          },
          // Tagged at launch: the controller finds its instances by these tags, never by memory.
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
          startedBy: 'infrakit',
          ...(Spec.Init && p.container
            ? {
                overrides: {
                  containerOverrides: [
                    { name: p.container, environment: [{ name: 'INFRAKIT_INIT', value: Spec.Init }] },
                  ],
                },
              }
            : {}),
        }),
      );
      const arn = out.tasks?.[0]?.taskArn;
      if (!arn) {
        const why = (out.failures ?? []).map(
          (f) => `${f.reason ?? 'failed'}${f.detail ? ` (${f.detail})` : ''}`,
        );
        throw new Error(`RunTask launched nothing: ${why.join(', ') || 'no reason given'}`);
      }
      return { Type: params.Type ?? '', ID: arn };
    },

    'Instance.DescribeInstances': async (params) => {
      const { Tags: wanted, Properties: withProperties } = parse(DescribeParams, params, 'params');
      const arns: string[] = [];
      for await (const page of paginateListTasks(
        { client: client as ECSClient },
        { cluster, desiredStatus: 'RUNNING' },
      ))
        arns.push(...(page.taskArns ?? []));
      const tasks = await read(arns);
      const Descriptions = tasks
        .map((task) => ({ task, tags: tagsOf(task) }))
        .filter(({ tags }) => Object.entries(wanted ?? {}).every(([k, v]) => tags[k] === v))
        .map(({ task, tags }) => ({
          ID: task.taskArn,
          LogicalID: tags[LOGICAL_ID_TAG] ?? null,
          Tags: tags,
          ...(withProperties
            ? { Properties: { lastStatus: task.lastStatus, taskDefinitionArn: task.taskDefinitionArn } }
            : {}),
        }));
      return { Type: params.Type ?? '', Descriptions };
    },

    'Instance.Destroy': async (params) => {
      const { Instance, Context } = parse(DestroyParams, params, 'params');
      const task = ownTask(Instance);
      // Gone or already stopping is destroyed: ask ECS before stopping (a repeat is harmless).
      if ((await read([task])).length > 0)
        await client.send(
          new StopTaskCommand({ cluster, task, reason: `infrakit: ${Context?.Reason ?? 'terminate'}` }),
        );
      return { Type: params.Type ?? '', OK: true };
    },

    'Instance.Label': async (params) => {
      const { Instance, Labels } = parse(LabelParams, params, 'params');
      const task = ownTask(Instance);
      if ((await read([task])).length === 0) throw new Error(`not found ${task}`);
      const tags = Object.entries(Labels ?? {}).map(([key, value]) => ({ key, value }));
      if (tags.length > 0) await client.send(new TagResourceCommand({ resourceArn: task, tags }));
      return { Type: params.Type ?? '', OK: true };
    },
  };
}
