import { join } from 'node:path';
import { InfrakitClient } from '../cli/client.js';
import type { GroupStore } from '../store/types.js';
import { groupMethods } from './group-protocol.js';
import { type GroupSocket, serveGroupSocket } from './group-server.js';

/**
 * `--infrakit-socket`: InfraKit's Group protocol on `<pluginsDir>/<name>`, answered through the
 * local controller's own API at `apiUrl` (the loopback listener `npx infrakit` talks to), so every
 * request passes the same admission, versioning and guard as one from the CLI.
 */
export function startInfrakitSocket(options: {
  readonly apiUrl: string;
  readonly store: Pick<GroupStore, 'markRetiring'>;
  readonly pluginsDir: string;
  readonly name: string;
  readonly onError?: (err: unknown) => void;
}): Promise<GroupSocket> {
  // Loopback and unsigned: the API is this process's own listener.
  const api = new InfrakitClient({ endpoint: options.apiUrl, signer: null });
  return serveGroupSocket({
    path: join(options.pluginsDir, options.name),
    methods: groupMethods({
      api,
      retire: (groupId, instanceId, at) => options.store.markRetiring(groupId, instanceId, at),
    }),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}
