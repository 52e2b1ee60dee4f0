import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { callPlugin } from './rpc.js';
import { HelloResult, readResult } from './wire.js';

/**
 * The plugin objects serving `iface` (`Instance/0.6.1`, `Flavor/0.1.1`) among the sockets in
 * `pluginsDir`, as a spec would name them: `vanilla` for a plugin's unnamed object (`.`),
 * `simulator/compute` for a named one. Sockets that do not answer `Handshake.Hello` within `timeoutMs`
 * are skipped (a stale socket of a stopped plugin). For wiring: which plugins to serve is decided
 * once, at start, not on every describe.
 */
export async function discoverPluginObjects(
  pluginsDir: string,
  iface: string,
  timeoutMs = 2_000,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(pluginsDir);
  } catch {
    return [];
  }
  const found = await Promise.all(
    names.sort().map(async (name): Promise<string[]> => {
      const socketPath = join(pluginsDir, name);
      try {
        if (!(await stat(socketPath)).isSocket()) return [];
        const result = await callPlugin(
          { kind: 'unix', socketPath },
          name,
          'Handshake.Hello',
          {},
          { timeoutMs },
        );
        const objects = readResult(
          { plugin: name, endpoint: socketPath, method: 'Handshake.Hello' },
          HelloResult,
          result,
        ).Objects[iface];
        if (!objects || objects.length === 0) return [];
        return objects.map((o) => (o.Name === '.' || o.Name === '' ? name : `${name}/${o.Name}`)).sort();
      } catch {
        return [];
      }
    }),
  );
  return found.flat();
}
