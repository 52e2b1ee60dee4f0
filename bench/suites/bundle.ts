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

/** Init times of one handler: the SDK clients, the project's own code, and both, in ms. */
interface InitTimes {
  readonly sdk: number;
  readonly own: number;
  readonly total: number;
}

/**
 * Time to import modules in a fresh Node process, measured inside it (process start excluded), the
 * way Lambda's init phase loads the handler: first the `sdk` modules (the SDK clients the bundle
 * imports statically, which Lambda's runtime provides), then `modules` (the bundle) — whose time is
 * then the project's own code alone. `--enable-source-maps` as the functions run with it. The bundle
 * sits inside the repository so its external `@aws-sdk/*` imports resolve to node_modules, as they
 * resolve to the runtime's own SDK in Lambda.
 *
 * The figures are the process's CPU time (user + system) for each phase, medians of
 * {@link INIT_RUNS} processes: an import is compiling and running code, so on an idle machine its
 * CPU time is its wall time (a few ms more: V8 compiles and collects on helper threads too), and
 * unlike wall time it does not grow when other work shares the machine. Wall medians are logged.
 */
function initMs(sdk: readonly string[], modules: readonly string[]): { cpu: InitTimes; wall: InitTimes } {
  const load = (list: readonly string[]) =>
    `await Promise.all([${list.map((m) => `import(${JSON.stringify(m)})`).join(', ')}])`;
  const script = [
    'const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };',
    'const w0 = performance.now(), c0 = cpu();',
    `${load(sdk)};`,
    'const w1 = performance.now(), c1 = cpu();',
    `${load(modules)};`,
    'const w2 = performance.now(), c2 = cpu();',
    'process.stdout.write(JSON.stringify([c1 - c0, c2 - c1, w1 - w0, w2 - w1]));',
  ].join(' ');
  const samples: [number, number, number, number][] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--no-warnings', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000, cwd: PROJECT_ROOT },
    );
    if (run.status !== 0)
      throw new Error(`importing ${[...sdk, ...modules].join(', ')} failed: ${run.stderr}`);
    samples.push(JSON.parse(run.stdout) as [number, number, number, number]);
  }
  const times = (s: number, o: number): InitTimes => ({
    sdk: median(samples.map((x) => x[s] as number)),
    own: median(samples.map((x) => x[o] as number)),
    total: median(samples.map((x) => (x[s] as number) + (x[o] as number))),
  });
  return { cpu: times(0, 1), wall: times(2, 3) };
}

/**
 * `bundle.<handler>.kb` and `init.<handler>.ms`, built with exactly the construct's esbuild options;
 * init split into `init.<handler>.sdk.ms` (the SDK clients the bundle imports statically) and
 * `init.<handler>.own.ms` (the project's code and its bundled dependencies). The default stack's
 * bundles; `bundle.<handler>.plugins.kb` is the same handler in a stack with InfraKit plugins (the
 * construct's `plugins` prop), which also carries the plugin client.
 */
export const suite: BenchSuite = {
  name: 'bundle',
  figures: HANDLER_NAMES.flatMap((name) => [
    { name: `bundle.${name}.kb`, unit: 'KB', goal: '<= 400' },
    { name: `init.${name}.ms`, unit: 'ms', goal: '<= 100' },
    { name: `init.${name}.sdk.ms`, unit: 'ms', goal: 'informative' },
    { name: `init.${name}.own.ms`, unit: 'ms', goal: '<= 50' },
    { name: `bundle.${name}.plugins.kb`, unit: 'KB', goal: '<= 400' },
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
        await build(esbuildOptions(entry, outfile, { handler: name }));
        const sdk = staticSdkImports(readFileSync(outfile, 'utf8'));
        const { cpu: init, wall } = initMs(sdk, [pathToFileURL(outfile).href]);
        process.stderr.write(
          `  bundle: ${name} imports ${sdk.join(', ') || 'no SDK client'} in init; wall ms: sdk ${wall.sdk.toFixed(0)}, own ${wall.own.toFixed(0)}\n`,
        );
        figures.push(
          { name: `bundle.${name}.kb`, value: statSync(outfile).size / 1024, unit: 'KB', goal: '<= 400' },
          { name: `init.${name}.ms`, value: init.total, unit: 'ms', goal: '<= 100' },
          { name: `init.${name}.sdk.ms`, value: init.sdk, unit: 'ms', goal: 'informative' },
          { name: `init.${name}.own.ms`, value: init.own, unit: 'ms', goal: '<= 50' },
        );
        const withPlugins = join(dir, name, 'plugins.mjs');
        await build(esbuildOptions(entry, withPlugins, { infrakitPlugins: true, handler: name }));
        figures.push({
          name: `bundle.${name}.plugins.kb`,
          value: statSync(withPlugins).size / 1024,
          unit: 'KB',
          goal: '<= 400',
        });
      }
      // All three clients the handlers use, loaded at once (the EC2 and EventBridge ones on first use).
      figures.push({
        name: 'init.aws-sdk.ms',
        value: initMs(['@aws-sdk/client-ec2', '@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge'], [])
          .cpu.sdk,
        unit: 'ms',
        goal: 'informative',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
