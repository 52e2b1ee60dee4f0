import { relative } from 'node:path';
import { CommanderError } from 'commander';
import { messageOf } from '../errors.js';
import { startLocalController } from './controller.js';
import type { GroupSocket } from './group-server.js';
import { startInfrakitSocket } from './infrakit-socket.js';
import { type LocalOptions, parseLocalOptions } from './options.js';

/**
 * `npm start`: the controller on this machine. Prints a banner, then one line per change; Ctrl-C
 * or SIGTERM stops it cleanly (instances keep running and are adopted by the next start).
 */

function banner(options: LocalOptions, url: string, dynamo: string, providers: readonly string[]): string[] {
  const dataDir = relative(process.cwd(), options.dataDir) || '.';
  return [
    'InfraKit-serverless local controller',
    `  API        ${url}   (try: npx infrakit group ls)`,
    `  console    ${url}/`,
    `  data       ${dataDir}`,
    `  DynamoDB   ${dynamo}`,
    `  providers  ${providers.map((p) => (p === 'ec2' && options.ec2Endpoint ? `ec2 at ${options.ec2Endpoint}` : p)).join(', ')}`,
    `  sweep      every ${options.sweepIntervalSeconds} s`,
  ];
}

/**
 * Makes every file this process creates private (0600/0700), the embedded DynamoDB's LevelDB files
 * too, which take no mode of their own (all others are created with explicit modes). Returns the
 * umask it started with, which instance processes get back.
 */
function privateUmask(): number {
  const inherited = process.umask(0o077);
  process.umask(inherited | 0o077);
  return inherited;
}

async function main(): Promise<void> {
  const instanceUmask = privateUmask();
  let options: LocalOptions;
  try {
    options = parseLocalOptions(process.argv.slice(2));
  } catch (err) {
    // Commander has printed its own usage errors; the rest are ours to print.
    if (err instanceof CommanderError) process.exit(err.exitCode);
    console.error(`error: ${messageOf(err)}`);
    process.exit(1);
  }
  const controller = await startLocalController(options, { instanceUmask }).catch((err: unknown) => {
    console.error(`error: ${messageOf(err)}`);
    process.exit(1);
  });
  let groupSocket: GroupSocket | undefined;
  if (options.infrakitSocket !== undefined && options.pluginsDir !== undefined) {
    groupSocket = await startInfrakitSocket({
      apiUrl: controller.url,
      store: controller.store,
      pluginsDir: options.pluginsDir,
      name: options.infrakitSocket,
      onError: (err) => console.log(`infrakit socket: ${messageOf(err)}`),
    }).catch(async (err: unknown) => {
      await controller.stop();
      console.error(`error: ${messageOf(err)}`);
      process.exit(1);
    });
  }
  const dynamo = options.dynamodbEndpoint ? `external ${options.dynamodbEndpoint}` : 'embedded dynalite';
  for (const line of banner(options, controller.url, dynamo, controller.plugins.providers)) console.log(line);
  if (groupSocket)
    console.log(
      `  infrakit   ${groupSocket.path}   (InfraKit's Group/0.1.1; try: infrakit local ${options.infrakitSocket} groups)`,
    );
  for (const e of controller.examples) {
    console.log(`  example    ${e.file}: ${e.id ?? ''} ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`);
  }
  // Tests and scripts wait for this exact line.
  console.log(`ready: listening on ${controller.url}`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    console.log(`${signal}: stopping (instances keep running; the next start adopts them)…`);
    // The socket first: no InfraKit request reaches an API that is going away.
    Promise.resolve(groupSocket?.close())
      .then(() => controller.stop())
      .then(
        () => {
          console.log('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          console.error(`error while stopping: ${messageOf(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await main();
