import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * One source of truth for how the Lambda handlers are built, shared by the CDK construct
 * (`NodejsFunction` bundling) and the bundle benchmark (esbuild called directly), so the figures
 * the benchmark reports are the bundles that get deployed.
 */

/** The three handlers in `lambda/`, each exporting `handler`. */
export const HANDLER_NAMES = ['api', 'reconcile', 'events'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** The Lambda runtime; the newest Node.js that CDK knows (cdk-nag AwsSolutions-L1 wants it). */
export const HANDLER_RUNTIME = Runtime.NODEJS_24_X;

/** The esbuild target matching {@link HANDLER_RUNTIME}. */
export const HANDLER_TARGET = 'node24';

/**
 * The AWS SDK v3 is left out of the bundles and taken from the Lambda runtime. Why: the EC2
 * client's schema module alone is ~550 KB minified even after tree shaking (EC2's shape graph is so
 * connected that RunInstances pulls in two thirds of it), so a bundled handler weighs ~950 KB; with
 * the SDK external each handler is a few tens of KB and AWS patches the SDK in the runtime.
 */
export const EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];

/**
 * Build-time constants of the Lambda bundles. `process.env.INFRAKIT_BUNDLE` reads "lambda" there,
 * so what a handler never runs is left out: the plugins that run in local mode only
 * (`src/plugins/catalog.ts`) with all their code, and the IAM grants only the construct reads.
 * `process.env.INFRAKIT_BUNDLE_INFRAKIT` reads "yes" only in the bundles of a stack with InfraKit
 * plugins (the construct's `plugins` prop): the plugin client (about 17 KB) is carried only by the
 * stacks that reach plugins. `process.env.INFRAKIT_HANDLER` names the handler of the bundle.
 */
export function bundleDefine(options: BundleOptions = {}): Record<string, string> {
  return {
    'process.env.INFRAKIT_BUNDLE': JSON.stringify('lambda'),
    'process.env.INFRAKIT_BUNDLE_INFRAKIT': JSON.stringify(options.infrakitPlugins ? 'yes' : 'no'),
    'process.env.INFRAKIT_HANDLER': JSON.stringify(options.handler ?? ''),
  };
}

/** What a stack's bundles carry beyond the default. */
export interface BundleOptions {
  /** The stack reaches InfraKit plugins (`plugins` prop): its handlers carry the `infrakit` provider. */
  readonly infrakitPlugins?: boolean;
  /**
   * The handler this bundle serves. `api` leaves out the engine's acting half (the deployed API
   * function never reconciles: `src/reconcile/engine.ts`).
   */
  readonly handler?: HandlerName;
}

/**
 * Some dependencies are CommonJS and call `require`; an ESM bundle needs a `require` to give them.
 * Named so it cannot clash with a bundled module's own `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __infrakitCreateRequire } from 'node:module'; const require = __infrakitCreateRequire(import.meta.url);";

/**
 * The package root (where `package.json` and `lambda/` live): this repository, or
 * `node_modules/infrakit-serverless` in an app that uses the construct. Not the `NodejsFunction`
 * project root, which is the app's (see `InfraKitControllerProps.depsLockFilePath`).
 */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a handler's source file, e.g. `<root>/lambda/api.ts`. */
export function handlerEntry(name: HandlerName): string {
  return fileURLToPath(new URL(`../../lambda/${name}.ts`, import.meta.url));
}

/**
 * `yaml` as ES modules: its `node` export is CommonJS, which esbuild cannot tree-shake, so a
 * handler would carry its whole stringifier; the same code as ES modules keeps only the parser the
 * API uses (about 15 KB less).
 */
export function yamlEsmAlias(): Readonly<Record<string, string>> {
  const pkg = createRequire(import.meta.url).resolve('yaml/package.json');
  return { yaml: join(dirname(pkg), 'browser', 'index.js') };
}

/** `NodejsFunction` bundling: local esbuild (no Docker), minified ESM with linked source maps. */
export function nodejsBundling(options: BundleOptions = {}): BundlingOptions {
  return {
    forceDockerBundling: false,
    target: HANDLER_TARGET,
    format: OutputFormat.ESM,
    minify: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    // The map names files and lines; embedding the sources would only triple the asset size.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    externalModules: [...EXTERNAL_MODULES],
    define: bundleDefine(options),
    esbuildArgs: Object.fromEntries(
      Object.entries(yamlEsmAlias()).map(([from, to]) => [`--alias:${from}`, to]),
    ),
    banner: ESM_REQUIRE_BANNER,
  };
}

/** The same build as {@link nodejsBundling}, as direct esbuild options (for the benchmark). */
export function esbuildOptions(entry: string, outfile: string, options: BundleOptions = {}): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: HANDLER_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: [...EXTERNAL_MODULES],
    define: bundleDefine(options),
    alias: { ...yamlEsmAlias() },
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  };
}
