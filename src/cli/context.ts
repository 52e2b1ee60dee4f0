import { InfrakitClient } from './client.js';

/** Where the CLI writes, reads its environment from, and how it waits; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What every command gets: the client, the output mode and the io. */
export interface CommandContext {
  readonly client: InfrakitClient;
  readonly json: boolean;
  readonly io: CliIo;
  /** Prints one line (or block) to stdout. */
  out(text: string): void;
  /** Prints a value as indented JSON to stdout. */
  outJson(value: unknown): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** A command finished with a non-zero exit status and a one-line reason. */
export class CommandFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CommandFailure';
    this.exitCode = exitCode;
  }
}

/** Exit statuses of `group watch` beyond 0 (converged) and 1 (error). */
export const EXIT_BLOCKED = 3;
export const EXIT_TIMEOUT = 4;

export function createContext(io: CliIo, options: { endpoint: string; json: boolean }): CommandContext {
  const client = new InfrakitClient({
    endpoint: options.endpoint,
    signerOptions: { env: io.env },
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    client,
    json: options.json,
    io,
    out: (text) => io.stdout(`${text}\n`),
    outJson: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
    sleep,
    now: io.now ?? Date.now,
  };
}
