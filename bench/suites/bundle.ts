import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, HANDLER_NAMES, handlerEntry, PROJECT_ROOT } from '../../infra/lib/bundling.js';
import type { BenchSuite, Figure } from '../types.js';

/** Fresh processes per handler; the median is reported. */
const INIT_RUNS = 7;

/**
 * Time to import modules (a bundle) in a fresh Node process, measured inside it (process start excluded), the
 * way Lambda's init phase loads the handler. `--enable-source-maps` as the functions run with it.
 * The bundle sits inside the repository so its external `@aws-sdk/*` imports resolve to
 * node_modules, as they resolve to the runtime's own SDK in Lambda.
 */
function initMs(...modules: string[]): number {
  const imports = modules.map((m) => `import(${JSON.stringify(m)})`).join(', ');
  const script = `const t = performance.now(); await Promise.all([${imports}]); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--no-warnings', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000, cwd: PROJECT_ROOT },
    );
    if (run.status !== 0) throw new Error(`importing ${modules.join(', ')} failed: ${run.stderr}`);
    times.push(Number(run.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** `bundle.<handler>.kb` and `init.<handler>.ms`, built with exactly the construct's esbuild options. */
export const suite: BenchSuite = {
  name: 'bundle',
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
        figures.push(
          { name: `bundle.${name}.kb`, value: statSync(outfile).size / 1024, unit: 'KB', goal: '<= 400' },
          { name: `init.${name}.ms`, value: initMs(pathToFileURL(outfile).href), unit: 'ms', goal: '<= 100' },
        );
      }
      // The share of init that is the runtime's SDK, not our bundle: the clients the handlers use.
      figures.push({
        name: 'init.aws-sdk.ms',
        value: initMs('@aws-sdk/client-ec2', '@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge'),
        unit: 'ms',
        goal: 'informative',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
