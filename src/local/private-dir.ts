import { chmod, mkdir, stat } from 'node:fs/promises';
import { messageOf } from '../errors.js';

/** Mode of every folder local mode creates: its owner only. Files are created 0600. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `path` (and missing parents) with mode 0700, and tightens it to 0700 when it already
 * exists with access for group or others. Throws when it cannot be made private (another user's
 * folder, say): the data folder holds commands that local mode runs.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(path);
  if ((mode & 0o077) === 0) return;
  try {
    await chmod(path, PRIVATE_DIR_MODE);
  } catch (err) {
    throw new Error(
      `${path} is open to other users (mode ${(mode & 0o777).toString(8)}) and cannot be made private: ${messageOf(err)}`,
      { cause: err },
    );
  }
}
