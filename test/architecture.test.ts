import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md §2: imports point downward only. Every value import of every module in
 * `src/`, `lambda/` and `infra/` is resolved to the layer it lands in and checked against what its
 * own layer may import; type-only imports erase at compile time and carry no run-time dependency.
 */

const root = new URL('..', import.meta.url).pathname;

/** The layers under `src/`, each its own folder, from the bottom up (docs/architecture.md §2). */
const SRC_LAYERS = [
  'spec',
  'plan',
  'store',
  'providers',
  'flavors',
  'admission',
  'plugins',
  'reconcile',
  'api',
  'events',
  'runtime',
  'console',
  'local',
  'cli',
] as const;

type Layer = 'floor' | (typeof SRC_LAYERS)[number] | 'lambda' | 'infra' | 'examples';

/** The shared floor: small modules every layer may use. */
const FLOOR = new Set([
  'src/errors.ts',
  'src/tags.ts',
  'src/lazy.ts',
  'src/abort.ts',
  'src/log.ts',
  'src/env.ts',
  'src/loopback.ts',
  'src/request-guard.ts',
  'src/sigv4.ts',
]);

function layerOf(file: string): Layer | undefined {
  if (FLOOR.has(file)) return 'floor';
  const [top, second] = file.split('/');
  if (top === 'lambda') return 'lambda';
  if (top === 'infra') return 'infra';
  if (top === 'examples') return 'examples';
  if (top !== 'src' || second === undefined) return undefined;
  return SRC_LAYERS.find((l) => l === second);
}

/** Everything the wiring (runtime, local mode, the CLI, the handlers) may build from. */
const BELOW_WIRING: readonly Layer[] = ['floor', ...SRC_LAYERS.slice(0, SRC_LAYERS.indexOf('runtime'))];

/** What each layer may import from the project, and which packages (a pattern on the specifier). */
const RULES: Record<Layer, { layers: readonly Layer[]; packages: RegExp }> = {
  floor: { layers: ['floor'], packages: /^node:crypto$/ },
  spec: { layers: ['spec', 'floor'], packages: /^(zod|yaml|node:crypto)$/ },
  plan: { layers: ['plan', 'spec', 'floor'], packages: /^$/ },
  store: { layers: ['store', 'spec', 'floor'], packages: /^(@aws-sdk\/client-dynamodb|node:crypto)$/ },
  providers: {
    layers: ['providers', 'spec', 'floor'],
    packages: /^(@aws-sdk\/client-(ec2|lambda)|zod|node:.*)$/,
  },
  flavors: { layers: ['flavors', 'spec', 'floor'], packages: /^zod$/ },
  admission: { layers: ['admission', 'spec', 'floor'], packages: /^$/ },
  // The one list of plugins: each provider's and flavor's own module, and how they are built.
  plugins: { layers: ['plugins', 'providers', 'flavors', 'spec', 'floor'], packages: /^$/ },
  reconcile: {
    layers: ['reconcile', 'admission', 'plan', 'spec', 'store', 'floor'],
    packages: /^node:crypto$/,
  },
  api: { layers: ['api', 'admission', 'spec', 'store', 'floor'], packages: /^(zod|yaml|node:crypto)$/ },
  events: {
    layers: ['events', 'spec', 'store', 'floor'],
    packages: /^(zod|@aws-sdk\/client-(ec2|eventbridge))$/,
  },
  runtime: {
    layers: ['runtime', ...BELOW_WIRING],
    packages: /^(@aws-sdk\/client-dynamodb|@aws-lambda-powertools\/.*|node:crypto)$/,
  },
  // The browser app (bundled by esbuild for the page) and how the page is built and served.
  console: { layers: ['console', 'floor'], packages: /^(node:.*|esbuild|openapi-fetch|zod|yaml)$/ },
  // zod: the params of InfraKit's Group protocol, which local mode serves on a socket.
  local: {
    layers: ['local', 'cli', 'console', ...BELOW_WIRING],
    packages: /^(node:.*|@aws-sdk\/client-.*|dynalite|commander|zod)$/,
  },
  cli: {
    layers: ['cli', 'console', ...BELOW_WIRING],
    packages: /^(node:.*|commander|yaml|openapi-fetch|@aws-crypto\/.*|@aws-sdk\/.*|@smithy\/.*)$/,
  },
  lambda: { layers: ['runtime', ...BELOW_WIRING], packages: /^$/ },
  infra: { layers: ['infra'], packages: /^(aws-cdk-lib(\/.*)?|constructs|cdk-nag|esbuild|node:.*)$/ },
  // Example plugins stand alone (users copy them): the construct's public entry, never src/.
  examples: {
    layers: ['examples', 'infra'],
    packages: /^(aws-cdk-lib(\/.*)?|constructs|cdk-nag|zod|@aws-sdk\/client-ecs|node:.*)$/,
  },
};

/** What `infra/` may take from `src/`: names and schemas shared with the handlers, no behaviour. */
const INFRA_SHARED = new Set([
  'src/tags.ts',
  'src/env.ts',
  'src/plugins/catalog.ts',
  'src/providers/ec2/grants.ts',
  'src/plugins/types.ts',
  'src/events/constants.ts',
  'src/runtime/metric-names.ts',
  'src/store/table.ts',
  'src/providers/ec2/guardrails.ts',
  'src/providers/infrakit/endpoints.ts',
]);

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('node_modules'))
    .map((f) => join(dir, f));
}

/** Value imports and re-exports (type-only ones excluded). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const statics = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)];
  return statics.map((m) => m[1] ?? '');
}

/** A relative specifier as a project path (`../tags.js` from `src/api/x.ts` → `src/tags.ts`). */
function resolved(from: string, spec: string): string {
  return normalize(join(dirname(from), spec)).replace(/\.js$/, '.ts');
}

const ALL = [...sources('src'), ...sources('lambda'), ...sources('infra'), ...sources('examples')];

describe('layering (docs/architecture.md §2)', () => {
  it('every module lies in a layer of the table', () => {
    for (const file of ALL) expect(layerOf(relative('.', file)), file).toBeDefined();
  });

  it.each(Object.keys(RULES) as Layer[])('%s imports only what its row allows', (layer) => {
    const files = ALL.filter((f) => layerOf(f) === layer);
    expect(files.length, `no module in layer ${layer}`).toBeGreaterThan(0);
    const { layers, packages } = RULES[layer];
    for (const file of files) {
      for (const spec of valueImports(file)) {
        if (!spec.startsWith('.')) {
          expect(packages.test(spec), `${file} imports package ${spec}`).toBe(true);
          continue;
        }
        const target = resolved(file, spec);
        if (layer === 'examples' && target.startsWith('infra/')) {
          expect(target, `${file} imports ${target}`).toBe('infra/lib/index.ts');
          continue;
        }
        if (layer === 'infra' && target.startsWith('src/')) {
          expect(INFRA_SHARED.has(target), `${file} imports ${target}`).toBe(true);
          continue;
        }
        const into = layerOf(target);
        expect(into !== undefined && layers.includes(into), `${file} imports ${target} (${into})`).toBe(true);
      }
    }
  });

  it('no module under src/ builds an SDK client at import time', () => {
    for (const file of sources('src')) {
      const text = readFileSync(join(root, file), 'utf8');
      // A client built at the top level of a module (not inside a function) starts with no indentation.
      expect(/^(export )?const \w+ = new \w+Client\(/m.test(text), file).toBe(false);
    }
  });

  it('the planner, the spec and the flavors read no environment', () => {
    for (const file of [...sources('src/plan'), ...sources('src/spec'), ...sources('src/flavors')]) {
      expect(/process\.env/.test(readFileSync(join(root, file), 'utf8')), file).toBe(false);
    }
  });
});
