import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_NAMES, handlerEntry, PROJECT_ROOT } from '../../infra/lib/bundling.js';
import { logicalId, type Synthesized, synthStack } from './support.js';

/** The goal of the issue: each handler bundle stays under 400 KB. */
const MAX_BUNDLE_BYTES = 400 * 1024;

const missing = HANDLER_NAMES.map(handlerEntry).filter((entry) => !existsSync(entry));
const FUNCTION_PREFIX = {
  api: 'ControllerApi',
  reconcile: 'ControllerReconcile',
  events: 'ControllerEvents',
};

describe('real bundling with the local esbuild', () => {
  let synth: Synthesized | undefined;

  beforeAll(() => {
    if (missing.length === 0) synth = synthStack({ bundle: true });
  });
  afterAll(() => synth?.cleanup());

  it('finds the three handlers', () => {
    expect(
      missing.map((m) => relative(PROJECT_ROOT, m)),
      'the handler sources must exist before they can be bundled (they export `handler`)',
    ).toEqual([]);
  });

  it.each(HANDLER_NAMES)('bundles %s into one minified ESM file with a source map, under 400 KB', (name) => {
    if (synth === undefined) throw new Error(`cannot bundle: missing ${missing.join(', ')}`);
    const { template, outdir } = synth;
    const fnId = logicalId(template, 'AWS::Lambda::Function', `${FUNCTION_PREFIX[name]}Function`);
    const key = template.toJSON().Resources[fnId].Properties.Code.S3Key as string;
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = join(dir, 'index.mjs');
    expect(existsSync(bundle), `${bundle} exists`).toBe(true);
    const kb = Math.round(statSync(bundle).size / 1024);
    expect(
      kb,
      `${name} bundle is ${kb} KB; \`npx esbuild lambda/${name}.ts --bundle --analyze …\` shows what weighs`,
    ).toBeLessThan(MAX_BUNDLE_BYTES / 1024);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: long lines, not one line per statement (template literals keep their own newlines).
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    // The EC2 and EventBridge SDKs load on first use (src/lazy.ts): never a static import, which
    // would put them in every cold start's init phase.
    for (const client of ['client-ec2', 'client-eventbridge']) {
      expect(code).not.toMatch(new RegExp(`from\\s*"@aws-sdk/${client}"`));
      expect(code).toMatch(new RegExp(`import\\("@aws-sdk/${client}"\\)`));
    }
  });
});
