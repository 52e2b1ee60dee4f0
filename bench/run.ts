import { readdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { messageOf } from '../src/errors.js';
import {
  type BenchSuite,
  type Figure,
  isUnmeasured,
  type Outcome,
  type Unmeasured,
  unmeasured,
} from './types.js';

/**
 * `npm run bench [suite…]`: runs every suite in `bench/suites/` (or the named ones), prints a table
 * and writes `bench/results.json` as
 * `{ "figures": [ { "name", "value", "unit", "goal" } ], "unmeasured": [ { "name", "unit", "goal", "reason" } ] }`.
 *
 * One suite's failure never costs the others' figures: a suite that throws or runs out of time has
 * its declared figures written as unmeasured with the reason, a declared figure a suite did not
 * report is unmeasured too, and the file is always written. The exit code is 1 when a suite threw or
 * timed out (what the suite itself reports as unmeasured, with its reason, is not a failure).
 */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

const only = process.argv.slice(2);
const dir = new URL('./suites/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();

const suites: BenchSuite[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { suite: BenchSuite };
  suites.push(mod.suite);
}
const unknown = only.filter((name) => !suites.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown suite ${unknown.join(', ')} (suites: ${suites.map((s) => s.name).join(', ')})\n`,
  );
  process.exit(2);
}

/** Runs `suite`, turning a throw or a timeout into unmeasured figures; never throws. */
async function runSuite(suite: BenchSuite): Promise<{ outcomes: Outcome[]; failed: boolean }> {
  const timeoutMs = suite.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the suite ran out of time (${timeoutMs / 1000} s)`)),
      timeoutMs,
    );
  });
  let outcomes: Outcome[];
  let failure: string | undefined;
  try {
    outcomes = [...(await Promise.race([suite.run(), timeout]))];
  } catch (err) {
    failure = `suite ${suite.name} failed: ${messageOf(err)}`;
    process.stderr.write(`${failure}\n`);
    outcomes = [];
  } finally {
    clearTimeout(timer);
  }
  // A value that is not a number (NaN, infinite) was not measured either.
  outcomes = outcomes.map((o) =>
    isUnmeasured(o) || Number.isFinite(o.value) ? o : unmeasured(o, `the suite produced ${o.value}`),
  );
  const reported = new Set(outcomes.map((o) => o.name));
  const missing = (suite.figures ?? []).filter((spec) => !reported.has(spec.name));
  outcomes.push(
    ...missing.map((spec) => unmeasured(spec, failure ?? `suite ${suite.name} did not report it`)),
  );
  if (failure !== undefined && outcomes.length === 0) {
    outcomes.push(unmeasured({ name: `${suite.name}.*`, unit: '', goal: '' }, failure));
  }
  return { outcomes, failed: failure !== undefined };
}

const figures: Figure[] = [];
const missed: Unmeasured[] = [];
let failed = false;
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  process.stderr.write(`running ${suite.name}…\n`);
  const started = performance.now();
  const result = await runSuite(suite);
  process.stderr.write(`${suite.name}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  failed ||= result.failed;
  for (const o of result.outcomes) {
    if (isUnmeasured(o)) missed.push(o);
    else figures.push(o);
  }
}

const width = Math.max(6, ...figures.map((f) => f.name.length), ...missed.map((f) => f.name.length));
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(12)}  unit    goal`);
for (const f of figures) {
  const value = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  console.log(`${f.name.padEnd(width)}  ${value.padStart(12)}  ${f.unit.padEnd(6)}  ${f.goal}`);
}
for (const f of missed) {
  console.log(
    `${f.name.padEnd(width)}  ${'unmeasured'.padStart(12)}  ${f.unit.padEnd(6)}  ${f.goal}  (${f.reason})`,
  );
}
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ figures, ...(missed.length > 0 ? { unmeasured: missed } : {}) }, null, 2)}\n`,
);
process.exit(failed ? 1 : 0);
