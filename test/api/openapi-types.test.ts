import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, renderOpenApiTypes } from '../../scripts/openapi-types.js';

describe('the typed client', () => {
  it('is typed from the current OpenAPI document (else run npm run api-types)', async () => {
    const committed = await readFile(API_TYPES_FILE, 'utf8');
    expect(
      committed === (await renderOpenApiTypes()),
      `${API_TYPES_FILE} is stale: run npm run api-types`,
    ).toBe(true);
  });
});
