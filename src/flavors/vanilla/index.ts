import * as z from 'zod';
import { parseWith } from '../../spec/validate.js';
import { isAwsReservedTag, isControllerTag } from '../../tags.js';
import type { Flavor, Health } from '../types.js';

const VanillaPropertiesSchema = z.strictObject({
  /** Lines of the init script, joined in order with newlines. */
  init: z.array(z.string()).max(1000).default([]),
  /**
   * Tags merged into every instance's tags; the controller's `infrakit.*` tags win. `aws:` keys
   * are AWS's own: EC2 refuses a launch setting one, so they are refused here, before it is stored.
   */
  tags: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .superRefine((tags, ctx) => {
      for (const key of Object.keys(tags)) {
        if (isAwsReservedTag(key))
          ctx.addIssue({ code: 'custom', path: [key], message: 'aws:* tags are reserved by AWS' });
      }
    })
    .default({}),
});

export type VanillaProperties = z.output<typeof VanillaPropertiesSchema>;

/**
 * The default flavor: an init script made of `init` lines and extra `tags`; health is the
 * provider's view (running and not impaired → healthy, pending → unknown, otherwise unhealthy).
 */
export const vanillaFlavor: Flavor = {
  kind: 'vanilla',

  validate(properties) {
    const parsed = parseWith(VanillaPropertiesSchema, properties ?? {});
    return parsed;
  },

  prepare(properties, request) {
    const { init, tags } = parseWith(VanillaPropertiesSchema, properties);
    const userTags = Object.fromEntries(Object.entries(tags).filter(([k]) => !isControllerTag(k)));
    const script = init.length > 0 ? init.join('\n') : undefined;
    return {
      ...request,
      tags: { ...userTags, ...request.tags },
      ...(script !== undefined ? { init: request.init ? `${request.init}\n${script}` : script } : {}),
    };
  },

  health(_properties, instance): Health {
    if (instance.state === 'pending') return 'unknown';
    if (instance.state !== 'running') return 'unhealthy';
    if (instance.health.status === 'impaired') return 'unhealthy';
    return 'healthy';
  },

  async drain() {
    // Nothing to hand off: a vanilla instance has no cluster membership to give up.
  },
};
