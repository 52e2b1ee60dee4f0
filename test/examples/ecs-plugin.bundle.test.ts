import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The example plugin's function builds as its construct bundles it (`construct.ts`: ESM, the SDK
 * left to the Lambda runtime): one module exporting `handler`, importing the ECS client at run time.
 */
describe('the ECS task plugin function', () => {
  it('bundles into one ESM module exporting handler, with the SDK external', async () => {
    const out = await build({
      entryPoints: [new URL('../../examples/ecs-plugin/handler.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      external: ['@aws-sdk/*'],
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]?.text ?? '';
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(code).toMatch(/from\s*"@aws-sdk\/client-ecs"/);
  });
});
