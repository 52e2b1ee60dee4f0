import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CommanderError } from 'commander';
import { SpecValidationError } from '../errors.js';
import { isLoopback } from '../loopback.js';
import { ApiError, UnreachableError } from './client.js';
import { type CliIo, CommandFailure } from './context.js';
import { buildProgram } from './program.js';

/**
 * The `infrakit` CLI entry point. `run` is side-effect free apart from `io`, so tests drive it
 * in-process; `bin/infrakit.js` calls `main`.
 */

/** One line saying what went wrong and, where it helps, what to do about it. */
export function errorLine(err: unknown): string {
  if (err instanceof SpecValidationError) return `invalid spec: ${err.message}`;
  if (err instanceof UnreachableError) {
    const url = /cannot reach (\S+):/.exec(err.message)?.[1];
    const local = url !== undefined && URL.canParse(url) && isLoopback(new URL(url));
    return local ? `${err.message} (is the local controller running? start it with npm start)` : err.message;
  }
  if (err instanceof ApiError) {
    const detail =
      err.issues.length > 0
        ? err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
        : err.message;
    switch (err.status) {
      case 400:
        return err.code === 'invalid-spec' ? `invalid spec: ${detail}` : `bad request: ${detail}`;
      case 403:
        return `forbidden (403): ${err.message}; check the AWS credentials and their execute-api:Invoke permission`;
      case 412:
        return `${err.message.replace(/[;:]? *re-read it and retry$/, '')}; re-read the group (infrakit group get ID) and retry`;
      default:
        return `${detail} (HTTP ${err.status})`;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit status. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help) to io.stderr / io.stdout.
      return err.exitCode;
    }
    io.stderr(`error: ${errorLine(err).replace(/\s*\n\s*/g, ' ')}\n`);
    return err instanceof CommandFailure ? err.exitCode : 1;
  }
}

/** The real process: stdout, stderr, environment; sets the exit status. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await run(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) await main();
