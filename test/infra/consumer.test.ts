import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from '../../infra/lib/bundling.js';
import { InfraKitController } from '../../infra/lib/controller.js';

/**
 * The package as another CDK app gets it: `npm pack`, installed into a fresh app, which synthesizes
 * the README's construct example with the real esbuild bundling. Offline: the app's `node_modules`
 * links what `npm install` would put there (the packed package's dependencies and peers, closed over
 * this repository's lock file) to this repository's copies, and Node runs with `--preserve-symlinks`
 * so that every module, aws-cdk-lib included, finds only those.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = 'infrakit-serverless';
const README_SECTION = '### Use the construct in your own CDK app';

interface LockEntry {
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
interface Manifest extends LockEntry {
  readonly files?: string[];
}

/** The `ts` example of the README's construct section. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(README_SECTION));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!section.startsWith(README_SECTION) || code === undefined)
    throw new Error(`README.md has no \`ts\` example under "${README_SECTION}"`);
  return code;
}

/**
 * Top-level `node_modules` entries an install of `manifest` needs, by npm's resolution over this
 * repository's lock file: its dependencies, optional dependencies that are installed, and peers.
 */
function installedClosure(manifest: Manifest): Map<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const seen = new Set<string>();
  const top = new Map<string, LockEntry>();
  const visit = (from: string, name: string, optional: boolean, via: string): void => {
    // Node's lookup: the requiring package's own node_modules, then each enclosing one.
    let base = from;
    let path = '';
    for (;;) {
      const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (lock.packages[candidate] !== undefined && existsSync(join(ROOT, candidate))) {
        path = candidate;
        break;
      }
      if (base === '') {
        if (optional) return;
        throw new Error(`${name}, needed by ${via}, is not installed in this repository`);
      }
      const up = base.lastIndexOf('/node_modules/');
      base = up < 0 ? '' : base.slice(0, up);
    }
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path] as LockEntry;
    if (path === `node_modules/${name}`) top.set(name, entry);
    walk(path, entry, path);
  };
  const walk = (from: string, entry: LockEntry, via: string): void => {
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(from, dep, false, via);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(from, dep, true, via);
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      visit(from, dep, entry.peerDependenciesMeta?.[dep]?.optional === true, via);
  };
  walk('', manifest, PACKAGE);
  return top;
}

/** Links each entry to this repository's copy, and its commands into `node_modules/.bin`, as npm would. */
function linkNodeModules(app: string, modules: Map<string, LockEntry>): void {
  const bin = join(app, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, entry] of modules) {
    const target = join(app, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), target, 'dir');
    for (const [command, file] of Object.entries(entry.bin ?? {})) {
      if (!existsSync(join(bin, command))) symlinkSync(relative(bin, join(target, file)), join(bin, command));
    }
  }
}

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });

describe('the packed package in another CDK app', () => {
  let dir: string;
  let app: string;
  let packed: string[] = [];
  let manifest: Manifest;
  let outdir: string;
  let synth: { status: number | null; stderr: string; stdout: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'infrakit-consumer-'));
    app = join(dir, 'app');
    const installed = join(app, 'node_modules', PACKAGE);
    mkdirSync(installed, { recursive: true });

    const pack = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [tarball] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    if (tarball === undefined) throw new Error(`npm pack reported nothing: ${pack.stdout}`);
    packed = tarball.files.map((f) => f.path);
    const untar = run(
      'tar',
      ['-xzf', join(dir, tarball.filename), '-C', installed, '--strip-components=1'],
      dir,
    );
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;

    linkNodeModules(app, installedClosure(manifest));
    const appManifest = { name: 'platform', private: true, type: 'module', dependencies: { [PACKAGE]: '*' } };
    writeFileSync(join(app, 'package.json'), JSON.stringify(appManifest));
    // The app's own lock file: NodejsFunction's default project root is the folder that holds it.
    writeFileSync(
      join(app, 'package-lock.json'),
      JSON.stringify({ name: 'platform', lockfileVersion: 3, requires: true, packages: { '': appManifest } }),
    );
    writeFileSync(join(app, 'main.ts'), readmeExample());

    // What `cdk synth` does: CDK_OUTDIR makes the App synthesize into it when the program ends.
    outdir = join(app, 'cdk.out');
    synth = run(
      process.execPath,
      ['--preserve-symlinks', '--preserve-symlinks-main', '--import', 'tsx', 'main.ts'],
      app,
      { ...process.env, CDK_OUTDIR: outdir },
    );
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('ships what synth needs and no lock file, so the app has to use its own', () => {
    for (const name of HANDLER_NAMES) expect(packed).toContain(`lambda/${name}.ts`);
    expect(packed).toContain('infra/lib/index.ts');
    expect(packed).toContain('src/api/index.ts');
    expect(packed).not.toContain('package-lock.json');
    expect(packed.filter((p) => p.startsWith('test/') || p.startsWith('infra/bin/'))).toEqual([]);
  });

  it('declares the CDK libraries as peers and esbuild as its own dependency', () => {
    expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(manifest.dependencies).not.toHaveProperty('aws-cdk-lib');
    expect(manifest.dependencies).not.toHaveProperty('constructs');
    // Without an esbuild it can find, NodejsFunction falls back to bundling in Docker.
    expect(manifest.dependencies).toHaveProperty('esbuild');
  });

  it('synthesizes the README example, the local esbuild bundling the installed handlers', () => {
    expect(synth.status, synth.stderr).toBe(0);
    expect(synth.stderr).not.toMatch(/docker/i);
    const template = JSON.parse(readFileSync(join(outdir, 'Platform.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Runtime?: string; Code?: { S3Key?: string } } }
      >;
    };
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x',
    );
    expect(functions).toHaveLength(3);
    const sources = functions.map((fn) => {
      const key = fn.Properties.Code?.S3Key ?? '';
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      expect(readFileSync(join(asset, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*\bhandler\b/);
      const map = JSON.parse(readFileSync(join(asset, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      return map.sources.find((s) => s.includes(`node_modules/${PACKAGE}/lambda/`));
    });
    expect(sources.map((s) => s?.replace(/^.*\/lambda\//, 'lambda/')).sort()).toEqual(
      HANDLER_NAMES.map((name) => `lambda/${name}.ts`).sort(),
    );
  });
});

describe('depsLockFilePath', () => {
  it('is handed to NodejsFunction, which checks it exists', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const missing = join(tmpdir(), 'infrakit-no-such-app', 'package-lock.json');
    expect(
      () => new InfraKitController(new Stack(app, 'S'), 'Controller', { depsLockFilePath: missing }),
    ).toThrow(`Lock file at ${missing} doesn't exist`);
  });
});
