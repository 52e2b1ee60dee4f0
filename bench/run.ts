import { readdirSync, writeFileSync } from 'node:fs';
import type { BenchSuite, Figure } from './types.js';

/**
 * `npm run bench [suite…]`: runs every suite in `bench/suites/` (or the named ones), prints a table
 * and writes `bench/results.json` as `{ "figures": [ { "name", "value", "unit", "goal" } ] }`.
 */
const only = process.argv.slice(2);
const dir = new URL('./suites/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();

const figures: Figure[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { suite: BenchSuite };
  if (only.length > 0 && !only.includes(mod.suite.name)) continue;
  process.stderr.write(`running ${mod.suite.name}…\n`);
  figures.push(...(await mod.suite.run()));
}

const width = Math.max(6, ...figures.map((f) => f.name.length));
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(12)}  unit    goal`);
for (const f of figures) {
  const value = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  console.log(`${f.name.padEnd(width)}  ${value.padStart(12)}  ${f.unit.padEnd(6)}  ${f.goal}`);
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ figures }, null, 2)}\n`);
process.exit(0);
