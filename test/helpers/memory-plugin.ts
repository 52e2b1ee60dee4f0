import type { RpcMethod } from '../../examples/ecs-plugin/rpc.js';

/**
 * An `Instance/0.6.1` plugin kept in memory, as JSON-RPC methods (served by `answer` in
 * `examples/ecs-plugin/rpc.ts`): for transport tests, where what matters is what crosses the wire.
 */
export function memoryInstancePlugin(): {
  readonly methods: Record<string, RpcMethod>;
  readonly instances: Map<string, Record<string, string>>;
} {
  const instances = new Map<string, Record<string, string>>();
  let next = 1;
  const tagsOf = (value: unknown): Record<string, string> => (value ?? {}) as Record<string, string>;
  return {
    instances,
    methods: {
      'Handshake.Hello': async () => ({ Objects: { 'Instance/0.6.1': [{ Name: '.', ProxyFor: '' }] } }),
      'Instance.Validate': async () => ({ OK: true }),
      'Instance.Provision': async (p) => {
        const id = `i-${next++}`;
        instances.set(id, tagsOf((p.Spec as { Tags?: unknown }).Tags));
        return { ID: id };
      },
      'Instance.DescribeInstances': async (p) => ({
        Descriptions: [...instances]
          .filter(([, tags]) => Object.entries(tagsOf(p.Tags)).every(([k, v]) => tags[k] === v))
          .map(([ID, Tags]) => ({ ID, LogicalID: null, Tags })),
      }),
      'Instance.Destroy': async (p) => ({ OK: instances.delete(String(p.Instance)) }),
    },
  };
}
