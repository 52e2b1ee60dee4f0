import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, HANDLER_NAMES, handlerEntry, PROJECT_ROOT } from '../../infra/lib/bundling.js';
import type { BenchSuite, Figure } from '../types.js';

/** Fresh processes per handler; the median is reported. */
const INIT_RUNS = 7;

/** The median of `values`. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The `@aws-sdk/*` modules a bundle imports statically (loaded in init), not those it imports on first use. */
export function staticSdkImports(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*)"(@aws-sdk\/[^"]+)"/g)) found.add(m[1] as string);
  return [...found].sort();
}

/**
 * Time to import modules in a fresh Node process, measured inside it (process start excluded), the
 * way Lambda's init phase loads the handler: first the `sdk` modules (the SDK clients the bundle
 * imports statically, which Lambda's runtime provides), then `modules` (the bundle) — whose time is
 * then the project's own code alone. `--enable-source-maps` as the functions run with it. The bundle
 * sits inside the repository so its external `@aws-sdk/*` imports resolve to node_modules, as they
 * resolve to the runtime's own SDK in Lambda. Medians of {@link INIT_RUNS} processes.
 */
function initMs(
  sdk: readonly string[],
  modules: readonly string[],
): { sdk: number; own: number; total: number } {
  const load = (list: readonly string[]) =>
    `await Promise.all([${list.map((m) => `import(${JSON.stringify(m)})`).join(', ')}])`;
  const script = `const t0 = performance.now(); ${load(sdk)}; const t1 = performance.now(); ${load(modules)}; process.stdout.write(JSON.stringify([t1 - t0, performance.now() - t1]));`;
  const sdkTimes: number[] = [];
  const ownTimes: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--no-warnings', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000, cwd: PROJECT_ROOT },
    );
    if (run.status !== 0)
      throw new Error(`importing ${[...sdk, ...modules].join(', ')} failed: ${run.stderr}`);
    const [s, o] = JSON.parse(run.stdout) as [number, number];
    sdkTimes.push(s);
    ownTimes.push(o);
    totals.push(s + o);
  }
  return { sdk: median(sdkTimes), own: median(ownTimes), total: median(totals) };
}

/**
 * `bundle.<handler>.kb` and `init.<handler>.ms`, built with exactly the construct's esbuild options;
 * init split into `init.<handler>.sdk.ms` (the SDK clients the bundle imports statically) and
 * `init.<handler>.own.ms` (the project's code and its bundled dependencies).
 */
export const suite: BenchSuite = {
  name: 'bundle',
  figures: HANDLER_NAMES.flatMap((name) => [
    { name: `bundle.${name}.kb`, unit: 'KB', goal: '<= 400' },
    { name: `init.${name}.ms`, unit: 'ms', goal: '<= 100' },
    { name: `init.${name}.sdk.ms`, unit: 'ms', goal: 'informative' },
    { name: `init.${name}.own.ms`, unit: 'ms', goal: '<= 50' },
  ]).concat({ name: 'init.aws-sdk.ms', unit: 'ms', goal: 'informative' }),
  async run() {
    const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'infrakit-bundle-'));
    const figures: Figure[] = [];
    try {
      for (const name of HANDLER_NAMES) {
        const entry = handlerEntry(name);
        if (!existsSync(entry)) {
          process.stderr.write(`bundle: ${entry} does not exist yet, skipping ${name}\n`);
          continue;
        }
        const outfile = join(dir, name, 'index.mjs');
        await build(esbuildOptions(entry, outfile));
        const sdk = staticSdkImports(readFileSync(outfile, 'utf8'));
        const init = initMs(sdk, [pathToFileURL(outfile).href]);
        process.stderr.write(`  bundle: ${name} imports ${sdk.join(', ') || 'no SDK client'} in init\n`);
        figures.push(
          { name: `bundle.${name}.kb`, value: statSync(outfile).size / 1024, unit: 'KB', goal: '<= 400' },
          { name: `init.${name}.ms`, value: init.total, unit: 'ms', goal: '<= 100' },
          { name: `init.${name}.sdk.ms`, value: init.sdk, unit: 'ms', goal: 'informative' },
          { name: `init.${name}.own.ms`, value: init.own, unit: 'ms', goal: '<= 50' },
        );
      }
      // All three clients the handlers use, loaded at once (the EC2 and EventBridge ones on first use).
      figures.push({
        name: 'init.aws-sdk.ms',
        value: initMs(['@aws-sdk/client-ec2', '@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge'], [])
          .sdk,
        unit: 'ms',
        goal: 'informative',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
