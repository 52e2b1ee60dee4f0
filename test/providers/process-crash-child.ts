import { ProcessProvider } from '../../src/providers/process/index.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_INTENT } from '../../src/tags.js';

/**
 * A controller that dies by SIGKILL in the middle of a launch, for the crash tests of
 * `process.test.ts`: `node --import tsx process-crash-child.ts <dataDir> <step> <groupId> <marker>`
 * launches one `sleep` carrying `CRASH_MARKER=<marker>` in its environment and kills itself right
 * before `<step>` (`spawn`: after the provisional record; `record`: after the spawn, before the
 * record names the process).
 */

const [dataDir = '', step = '', groupId = '', marker = ''] = process.argv.slice(2);
const provider = new ProcessProvider({
  dataDir,
  beforeLaunchStep: (s) => {
    if (s === step) process.kill(process.pid, 'SIGKILL');
  },
});
await provider.provision(
  provider.validate({ command: 'sleep', args: ['30'], env: { CRASH_MARKER: marker } }),
  [
    {
      tags: { [TAG_CONTROLLER]: 'contract-controller', [TAG_GROUP]: groupId, [TAG_INTENT]: marker },
      token: marker,
    },
  ],
);
// Reaching this line means the hook never fired: the parent test fails on the exit code.
process.exit(3);
