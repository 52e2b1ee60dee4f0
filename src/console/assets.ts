import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { onFirstUse } from '../lazy.js';

/**
 * The console page: `app/index.html`, `app/console.css` and `app/main.ts` bundled by esbuild (no
 * framework; openapi-fetch, zod and yaml are the only libraries), built in memory the first time
 * the page is asked for. Nothing is fetched from outside: the page loads only these three files and
 * calls the API of the origin that served it.
 */

const APP = new URL('./app/', import.meta.url);

/** Where the page's files are served. */
export const CONSOLE_PATHS = {
  page: '/',
  script: '/console/app.js',
  style: '/console/console.css',
} as const;

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * Headers of every console file: no framing (clickjacking), no inline or foreign script, style or
 * connection, no referrer, nothing cached across controller versions.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The minified script of the page (also what the bench measures). */
export async function bundleConsoleScript(): Promise<Buffer> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('main.ts', APP))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [out] = result.outputFiles;
  if (!out) throw new Error('esbuild produced no console bundle');
  return Buffer.from(out.contents);
}

async function buildAssets(): Promise<ReadonlyMap<string, ConsoleAsset>> {
  const [html, css, script] = await Promise.all([
    readFile(new URL('index.html', APP)),
    readFile(new URL('console.css', APP)),
    bundleConsoleScript(),
  ]);
  return new Map([
    [CONSOLE_PATHS.page, { contentType: 'text/html; charset=utf-8', body: html }],
    [CONSOLE_PATHS.style, { contentType: 'text/css; charset=utf-8', body: css }],
    [CONSOLE_PATHS.script, { contentType: 'text/javascript; charset=utf-8', body: script }],
  ]);
}

/** Built once per process, on the first request for the page. */
export const consoleAssets = onFirstUse(buildAssets);

/** True for a path the console serves (the API has no route there). */
export function isConsolePath(path: string): boolean {
  return Object.values(CONSOLE_PATHS).some((p) => p === path);
}

/** The console file at `path` with its headers, or undefined when `path` is not one. */
export async function consoleFile(
  path: string,
): Promise<{ headers: Record<string, string>; body: Buffer } | undefined> {
  if (!isConsolePath(path)) return undefined;
  const asset = (await consoleAssets()).get(path);
  if (!asset) return undefined;
  return { headers: { ...CONSOLE_HEADERS, 'content-type': asset.contentType }, body: asset.body };
}
