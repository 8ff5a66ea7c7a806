import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * Who a driver is, strongly enough to tell "that process on this machine has died" from "that is
 * another machine (or container) whose hostname happens to be the same": the kernel's boot id and
 * the PID namespace (two containers on one host share the first, never the second), and the
 * process's start time (a pid can be reused after a reboot or a wrap-around).
 */
export interface ProcessIdentity {
  /** `boot:<id>/pidns:<inode>` on Linux; elsewhere the hostname and boot time (weaker). '' when unknown. */
  machine: string;
  pid: number;
  /** The process's start (clock ticks since boot on Linux), '' when unknown. */
  started: string;
}

function readOr(read: () => string, fallback: string): string {
  try {
    return read().trim();
  } catch {
    return fallback;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started. The name (field 2) may hold spaces. */
function startTime(pid: number): string {
  return readOr(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  }, '');
}

export function thisProcess(): ProcessIdentity {
  const boot = readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'), '');
  const pidns = readOr(() => /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '', '');
  const machine =
    boot && pidns
      ? `boot:${boot}/pidns:${pidns}`
      : `host:${os.hostname()}/boot:${Math.round((Date.now() / 1000 - os.uptime()) / 60)}`;
  return { machine, pid: process.pid, started: startTime(process.pid) };
}

/**
 * Whether a process on this machine is still the one that was recorded: it runs (signal 0 tests
 * without sending anything; EPERM means it runs under another user), and, when its start time was
 * recorded and can be read, it started then (not a newer process given the same pid).
 */
export function processAlive(pid: number, started = ''): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = started ? startTime(pid) : '';
  return !started || !now || now === started;
}
