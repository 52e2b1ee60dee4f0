import { writeFile } from 'node:fs/promises';
import openapiTS, { type OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../src/api/openapi.js';

/**
 * `npm run api-types`: writes the TypeScript types of the OpenAPI document (`paths`,
 * `components`, `operations`) that the CLI's and the console's typed clients are checked against.
 * test/api/openapi-types.test.ts fails when the committed file is not what this renders.
 */

export const API_TYPES_FILE = 'src/api/openapi-types.ts';

export function renderOpenApiTypes(): Promise<string> {
  return openapiTS(openApiDocument() as unknown as OpenAPI3, { exportType: false });
}

if (process.argv[1]?.endsWith('openapi-types.ts')) {
  await writeFile(API_TYPES_FILE, await renderOpenApiTypes());
  console.log(`wrote ${API_TYPES_FILE}`);
}
