import { type ChildProcess, spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { InvalidConfigurationError, messageOf } from '../../errors.js';
import { processStartTime } from './os-process.js';
import type { ProcessProperties } from './properties.js';

/**
 * Starting one instance process.
 *
 * How the init script runs: when the flavor prepared one, the instance is started as
 *
 *     /bin/sh -c '<init>
 *     exec "$0" "$@"' <command> <args…>
 *
 * so the init lines run first, in the same environment and working directory, and the shell then
 * `exec`s the command: one pid from start to finish, which is the pid recorded and signalled.
 * Variables the init script exports reach the command. A failing init line does not stop the
 * command (plain `sh` semantics); begin the script with `set -e` to make failures fatal.
 * Without an init script the command is spawned directly, with no shell in between.
 */

/**
 * The environment variable that names an instance's id. It also lets the provider find a process
 * whose launcher died before recording its pid (see "Crash safety" in `index.ts`).
 */
export const INSTANCE_ID_ENV = 'INFRAKIT_INSTANCE_ID';

/**
 * The variables an instance inherits from the controller's environment; nothing else of it
 * reaches the instance (not the controller's AWS credentials, say). The spec's `env` comes on top.
 */
export const INHERITED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
] as const;

/** How to start instance processes, beyond the spec's properties. */
export interface LaunchEnvironment {
  /** The controller's environment, of which only `INHERITED_ENV` is passed on. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The umask the process starts with; the controller's own when undefined. */
  readonly umask?: number;
}

/** What the launched process knows about itself through its environment. */
export interface LaunchIdentity {
  readonly id: string;
  readonly logicalId?: string;
  readonly groupId?: string;
}

export interface LaunchedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** OS start time read right after spawn, or `undefined` when the process already exited. */
  readonly startTime: string | undefined;
}

/**
 * An instance's environment: the allow-listed part of the controller's (`INHERITED_ENV`), then the
 * spec's `env`, then the provider's own variables, which a spec cannot override (adoption after a
 * crash relies on `INFRAKIT_INSTANCE_ID`).
 */
export function instanceEnvironment(
  controller: Readonly<Record<string, string | undefined>>,
  specEnv: Readonly<Record<string, string>>,
  identity: LaunchIdentity,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = controller[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    ...specEnv,
    [INSTANCE_ID_ENV]: identity.id,
    ...(identity.groupId ? { INFRAKIT_GROUP: identity.groupId } : {}),
    ...(identity.logicalId ? { INFRAKIT_LOGICAL_ID: identity.logicalId } : {}),
  };
}

/**
 * Spawns the process detached (its own session and process group, so it outlives the controller
 * and can be signalled as a group), with stdout and stderr appended to `logFile` (created 0600),
 * the environment of `instanceEnvironment`, and unreferenced so it never keeps the controller's
 * event loop alive.
 *
 * Throws `InvalidConfigurationError` when the command or working directory cannot be used.
 */
export async function launchProcess(
  properties: ProcessProperties,
  init: string | undefined,
  identity: LaunchIdentity,
  logFile: string,
  launch: LaunchEnvironment,
): Promise<LaunchedProcess> {
  const [file, argv] =
    init && init.trim() !== ''
      ? ['/bin/sh', ['-c', `${init}\nexec "$0" "$@"`, properties.command, ...properties.args]]
      : [properties.command, properties.args];
  const log = await open(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    // The child inherits the umask at fork, inside this synchronous call; it is put back at once.
    const controllerUmask = launch.umask === undefined ? undefined : process.umask(launch.umask);
    try {
      child = spawn(file, argv, {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        cwd: properties.cwd,
        env: instanceEnvironment(launch.environment, properties.env, identity),
      });
    } finally {
      if (controllerUmask !== undefined) process.umask(controllerUmask);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    throw new InvalidConfigurationError(
      `cannot start ${properties.command}${properties.cwd ? ` in ${properties.cwd}` : ''}: ${messageOf(err)}`,
      { cause: err },
    );
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
  // Later errors (a failed kill on an exited child) must not crash the controller.
  child.on('error', () => {});
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new InvalidConfigurationError(`cannot start ${properties.command}: no pid`);
  return { child, pid, startTime: await processStartTime(pid) };
}
