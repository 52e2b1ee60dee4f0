import { writeFileSync } from 'node:fs';
import { groupSpecJsonSchema } from './json-schema.js';

/** `npm run schema`: regenerates the committed JSON Schema file that editors point at. */
const target = new URL('../../schema/group-spec.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(groupSpecJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
