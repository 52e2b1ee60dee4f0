import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { run } from '../../src/cli/main.js';
import { type LocalController, startLocalController } from '../../src/local/controller.js';
import type { LocalOptions } from '../../src/local/options.js';

/**
 * Test harness for local mode and the CLI: controllers as real child processes, the CLI in-process,
 * and instance processes found by a marker argument so that every one can be counted and killed.
 */

const execFileP = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process against `endpoint`. */
export async function cli(endpoint: string, ...argv: string[]): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(['--endpoint', endpoint, ...argv], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
  });
  return { code, stdout, stderr };
}

/** Runs the CLI and parses its `--json` output; throws with stderr when it failed. */
export async function cliJson<T>(endpoint: string, ...argv: string[]): Promise<T> {
  const out = await cli(endpoint, '--json', ...argv);
  if (out.code !== 0) throw new Error(`infrakit ${argv.join(' ')} failed (${out.code}): ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `src/local/main.ts` as `npm start` would, and waits for its ready line; `env` is added to
 * this process's environment.
 */
export async function startController(
  args: string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ControllerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`controller not ready in 30 s:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /ready: listening on (\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** A unique marker put on every instance's command line by `processSpec`. */
export function newMarker(): string {
  return `ikmark${process.pid}x${Date.now().toString(36)}x${Math.floor(Math.random() * 1e6)}`;
}

/**
 * A YAML spec of `size` idle Node.js processes carrying `marker` on their command line; with
 * `exitAfterMs`, each exits (code 1) after that long instead, so the group crash-loops.
 */
export async function writeProcessSpec(
  dir: string,
  id: string,
  marker: string,
  options: { size: number; tick?: number; exitAfterMs?: number },
): Promise<string> {
  const script =
    options.exitAfterMs !== undefined
      ? `setTimeout(() => process.exit(1), ${options.exitAfterMs})`
      : `setInterval(() => {}, ${options.tick ?? 1e9})`;
  const file = join(dir, `${id}.yaml`);
  const yaml = [
    `id: ${id}`,
    'allocation:',
    `  size: ${options.size}`,
    'instance:',
    '  provider: process',
    '  properties:',
    '    command: node',
    `    args: ['-e', '${script}', '${marker}']`,
    'health:',
    '  gracePeriodSeconds: 0',
    '',
  ].join('\n');
  await writeFile(file, yaml);
  return file;
}

/** Pids of live (non-zombie) processes whose command line contains `marker`. */
export async function markedPids(marker: string): Promise<number[]> {
  const { stdout } = await execFileP('ps', ['-eo', 'pid=,stat=,args=']);
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter(
      (m): m is RegExpExecArray => m !== null && !m[2]?.startsWith('Z') && (m[3] ?? '').includes(marker),
    )
    .filter((m) => !(m[3] ?? '').startsWith('ps '))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** SIGKILLs every live process carrying `marker` (cleanup). */
export async function killMarked(marker: string): Promise<void> {
  for (const pid of await markedPids(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface InstanceJson {
  readonly id: string;
  readonly details?: { readonly pid?: number };
}

/** Pids of a group's instances as `group get --json` reports them, sorted. */
export async function groupPids(endpoint: string, id: string): Promise<number[]> {
  const body = await cliJson<{ status: { instances: InstanceJson[] } }>(endpoint, 'group', 'get', id);
  return body.status.instances.map((i) => Number(i.details?.pid)).sort((a, b) => a - b);
}

export interface ControllerFixture {
  /** A unique marker for the instance processes of this file (see `writeProcessSpec`). */
  readonly marker: string;
  /** The temp folder of this file (specs; the controllers' data dir is `<dir>/data`). */
  dir(): string;
  /**
   * Starts a controller on `<dir>/data` with `--no-examples` and the given flags (`--port`,
   * `--sweep-interval`, …); it is SIGKILLed after the file's tests.
   */
  start(args: readonly string[]): Promise<ControllerProcess>;
}

/**
 * A temp folder and controller processes for one test file; after its tests every controller is
 * SIGKILLed, every instance process carrying the marker killed and the folder removed.
 */
export function useControllers(prefix: string): ControllerFixture {
  const marker = newMarker();
  const started: ControllerProcess[] = [];
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `infrakit-${prefix}-`));
  });
  afterAll(async () => {
    for (const c of started) await c.kill('SIGKILL');
    await killMarked(marker);
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const folder = () => {
    if (!dir) throw new Error('the fixture folder exists only inside tests and hooks');
    return dir;
  };
  return {
    marker,
    dir: folder,
    async start(args) {
      const c = await startController(['--data-dir', join(folder(), 'data'), '--no-examples', ...args]);
      started.push(c);
      return c;
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not). */
  readonly json: unknown;
}

/**
 * One HTTP request to the server of `url` with exactly the headers given, as a browser under
 * attack would send them: `host` replaces the Host header (which fetch cannot set), `host: null`
 * sends none.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  options: { host?: string | null; headers?: Readonly<Record<string, string>>; body?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  if (typeof options.host === 'string') headers.host = options.host;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        method,
        path,
        headers,
        setHost: options.host === undefined,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A local controller in this process on a free port, its data under `dir/data`, printing nothing
 * (or to `print`); `options` override the defaults (a plugins folder, slower watches).
 */
export function startInProcessController(
  dir: string,
  options: Partial<LocalOptions> = {},
  print: (line: string) => void = () => {},
): Promise<LocalController> {
  return startLocalController(
    {
      host: '127.0.0.1',
      port: 0,
      dataDir: join(dir, 'data'),
      sweepIntervalSeconds: 1,
      pluginWatchIntervalSeconds: 1,
      examples: false,
      tableName: 'infrakit',
      ...options,
    },
    { print },
  );
}

/** PUTs a group of `size` on the `infrakit` provider's `plugin`, failing the test on an error answer. */
export async function putPluginGroup(
  url: string,
  id: string,
  plugin: string,
  size: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const res = await fetch(`${url}/groups/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id,
      allocation: { size },
      instance: { provider: 'infrakit', properties: { plugin, properties: {} } },
      health: { gracePeriodSeconds: 0 },
      ...extra,
    }),
  });
  if (res.status >= 300) throw new Error(`PUT /groups/${id}: ${res.status} ${await res.text()}`);
}
