import * as z from 'zod';
import { MAX_GROUP_SIZE } from '../spec/schema.js';

/**
 * The small request bodies and queries the routes validate at run time. The response schemas live
 * in `schemas.ts`, which only the OpenAPI document (loaded for `GET /openapi.json`) and the tests
 * import, so a cold API container does not build them.
 */

export const SizeRequestSchema = z.strictObject({
  size: z.int().min(0).max(MAX_GROUP_SIZE).describe('The new number of instances (cattle groups only).'),
});

export const RollbackRequestSchema = z.strictObject({
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER).describe('The past version to restore.'),
});

export const CompleteRequestSchema = z.strictObject({
  result: z
    .enum(['continue', 'abandon'])
    .default('continue')
    .describe(
      'continue: go on; abandon: give the instance up (a launching instance is terminated and replaced; a terminating instance is terminated either way).',
    ),
});

/** `?limit=&cursor=` of the paged routes. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});
