/**
 * Small request bodies with a huge number of validation problems: what a bad request can do to the
 * size of its 400 answer (Lambda's synchronous response limit is 6 MB; beyond it API Gateway says 500).
 */

/** The spec fields that are strict objects: each use of the anchor there reports every key as unknown. */
const STRICT_FIELDS = ['allocation', 'instance', 'flavor', 'health', 'update'];

/**
 * YAML with one anchor of `keys` unknown keys, referenced `refs` more times: in the spec's strict
 * objects first, then as unknown top-level fields. 3,844 keys and 31 references is about 28 KiB.
 */
export function anchorFanOutYaml(keys: number, refs: number): string {
  const anchor = Array.from({ length: keys }, (_, i) => `k${i.toString(36)}: 1`).join(',');
  const lines = ['id: web', `x-anchor: &a {${anchor}}`];
  for (let i = 0; i < refs; i++) lines.push(`${STRICT_FIELDS[i] ?? `x-${i}`}: *a`);
  return `${lines.join('\n')}\n`;
}

/** A YAML spec with `n` distinct unknown top-level fields, in block style (about 8 bytes each). */
export function unknownKeysYaml(n: number): string {
  const extra = Array.from({ length: n }, (_, i) => `u${i.toString(36)}: 1`);
  return ['id: web', 'allocation: {size: 1}', 'instance: {provider: fake}', ...extra, ''].join('\n');
}

/** A JSON spec with `n` unknown top-level fields (about 8 bytes each). */
export function unknownKeysJson(n: number): string {
  const extra = Object.fromEntries(Array.from({ length: n }, (_, i) => [`u${i}`, 1]));
  return JSON.stringify({ id: 'web', allocation: { size: 1 }, instance: { provider: 'fake' }, ...extra });
}

/** A JSON spec whose `id` (not the path's) is long and escape-heavy; the 400 quotes it. */
export function longIdJson(chars: number): string {
  return JSON.stringify({
    id: '\u0001'.repeat(chars),
    allocation: { size: 1 },
    instance: { provider: 'fake' },
  });
}

/** The response bound the fuzz test and the route tests hold every answer to. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
