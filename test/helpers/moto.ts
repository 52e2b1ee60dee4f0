import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto server, started by the tests on a free loopback port. Where moto is missing the suites skip
 * with a message, except under CI=true, where a missing moto is a failure.
 */

let availability: boolean | undefined;

export function motoAvailable(): boolean {
  if (availability === undefined) {
    const probe = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 20_000 });
    availability = probe.status === 0;
    if (!availability && process.env.CI === 'true') {
      throw new Error(
        'moto server is required when CI=true: python3 -m moto.server is not importable on this machine',
      );
    }
    if (!availability)
      console.warn('moto server not found (python3 -m moto.server): skipping moto-backed tests');
  }
  return availability;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  /** `http://localhost:PORT` (localhost, not 127.0.0.1, as S3-style host parsing wants). */
  readonly endpoint: string;
  /** Clears all state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * moto server's own entry point, but with one request at a time. `python3 -m moto.server` serves
 * each request on its own thread and its DynamoDB backend takes no lock, so under CPU load two
 * racing conditional updates of one item can both pass their condition (measured: 2 rounds in
 * 300 of 8 racers). DynamoDB applies the writes to an item one at a time; serving requests one
 * at a time restores that, and the racers still race over real HTTP.
 */
const SERIAL_MOTO = [
  'import sys',
  'from werkzeug.serving import run_simple',
  'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app',
  'run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)',
].join('\n');

export interface MotoOptions {
  /** One request at a time, as the DynamoDB store suite needs (see SERIAL_MOTO). @default false */
  readonly serial?: boolean;
}

export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const args = options.serial
    ? ['-c', SERIAL_MOTO, '127.0.0.1', String(port)]
    : ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)];
  const child: ChildProcess = spawn('python3', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://localhost:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited early: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/moto-api/`);
      if (res.ok || res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not start within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async reset() {
      await fetch(`http://127.0.0.1:${port}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
