import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** DESIGN §2: imports point downward only; the planner and the spec are pure (no I/O, no SDK). */

const root = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Value imports (type-only imports erase at compile time and carry no dependency at run time). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)].map((m) => m[1] ?? '');
}

const IO_MODULES = /^(node:(fs|child_process|net|http|https|dgram|worker_threads)|@aws-sdk\/|dynalite)/;

describe('layering', () => {
  it.each([
    ['src/plan', /^\.\/|^\.\.\/spec\//],
    ['src/spec', /^\.\/|^\.\.\/errors\.js$|^zod$|^yaml$|^node:crypto$/],
    ['src/flavors', /^\.\/|^\.\.\/types\.js$|^\.\.\/\.\.\/(spec|tags|errors)[/.]|^zod$/],
  ])('%s imports only what DESIGN §2 allows, and nothing that does I/O', (dir, allowed) => {
    const files = sources(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const spec of valueImports(file)) {
        expect(IO_MODULES.test(spec), `${file} imports ${spec}`).toBe(false);
        expect(allowed.test(spec), `${file} imports ${spec}`).toBe(true);
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
});
