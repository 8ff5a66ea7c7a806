/**
 * Whether a process on this machine is still running (signal 0 tests without sending anything;
 * EPERM means it runs under another user). Used to take over locks left by dead processes.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
