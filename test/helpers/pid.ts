/** True while a process with `pid` exists (signal 0 probes without signalling; a zombie counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
