/**
 * One sandbox per state file, shared. A sandbox holds its whole state in memory and saves it, so
 * two processes serving one file would each save over the other's work. The first process to
 * claim the file (a `--sandbox` command, or `sandbox serve --state`) owns it and serves it; every
 * later `--sandbox` command in that folder is a guest that talks to the owner over HTTPS, as any
 * client would, with the owner's kubeconfig.
 *
 * The owner stays up after its own command has ended for as long as a guest still talks to it:
 * each guest holds one connection to the owner's presence port for its whole life, which the
 * operating system closes however the guest ends (SIGKILL included), so the owner learns of every
 * departure by an event and nothing polls. The claim is a lock file next to the state (private,
 * like the state): the owner's pid and start time, and once it serves, its presence port, a key
 * a guest must send (so another user's process cannot pose as a guest), and its kubeconfig.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ClusterError } from '../errors.js';
import { processAlive, thisProcess } from '../process-alive.js';
import { mkdirPrivate } from '../sandbox/persistence.js';

interface Claim {
  pid: number;
  started: string;
  /** Set once the owner serves. */
  presence?: number;
  key?: string;
  kubeconfig?: string;
}

export interface Owner {
  role: 'owner';
  /** The sandbox listens and its kubeconfig is written: open the door to guests. */
  serving(kubeconfigPath: string): Promise<void>;
  /**
   * Takes no more guests and waits until every guest has gone (telling `notice` once why it
   * waits), or, with `now`, drops them.
   */
  drain(opts?: { now?: boolean; notice?: (line: string) => void }): Promise<void>;
  /** Gives the claim up: only once the sandbox has saved and stopped, so no two ever serve the file. */
  release(): Promise<void>;
}

export interface Guest {
  role: 'guest';
  /** The owner's kubeconfig (its server, CA and token). */
  kubeconfig: string;
  owner: number;
  release(): Promise<void>;
}

export interface ShareOptions {
  /** `sandbox serve`: never a guest; a file another process serves is refused. */
  ownerOnly?: boolean;
  /** How long a guest waits for an owner that has claimed the file to serve it (default 30 s). */
  readyTimeoutMs?: number;
  /** Tests: who this process is, and whether a recorded process is alive. */
  me?: { pid: number; started: string };
  alive?: (pid: number, started: string) => boolean;
}

/** A ClusterError's reason when the state file's folder cannot be made: the path is bad input. */
export const BAD_STATE_PATH = 'BadStatePath';

/** The lock file of a state file. */
export const claimFile = (statePath: string): string => `${statePath}.lock`;

function readClaim(file: string): Claim | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Claim>;
    return typeof parsed.pid === 'number' ? { started: '', ...parsed, pid: parsed.pid } : undefined;
  } catch {
    return undefined;
  }
}

function writePrivate(file: string, claim: Claim, flag?: 'wx'): void {
  if (flag) {
    fs.writeFileSync(file, JSON.stringify(claim), { flag, mode: 0o600 });
    return;
  }
  // Atomic, so a guest never reads half a claim.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(claim), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Resolves at the next change in `dir` (or after `ms`), so a wait reacts to the owner's writes. */
function nextChange(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    try {
      watcher = fs.watch(dir, done);
    } catch {
      done();
    }
  });
}

/** Claims the state file, or joins the process that has. */
export async function shareSandbox(statePath: string, opts: ShareOptions = {}): Promise<Owner | Guest> {
  const file = claimFile(statePath);
  const dir = path.dirname(file);
  const me = opts.me ?? thisProcess();
  const alive = opts.alive ?? processAlive;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  try {
    mkdirPrivate(dir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ClusterError(`cannot make the folder ${dir} for ${statePath} (${why})`, 0, BAD_STATE_PATH);
  }
  for (;;) {
    try {
      writePrivate(file, { pid: me.pid, started: me.started }, 'wx');
      return owner(file, me);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const claim = readClaim(file);
    // A claim whose owner has died (or that is being written right now, and so unreadable for an
    // instant) is no claim: a dead owner's is removed, then claimed again.
    if (claim && (claim.pid === me.pid || !alive(claim.pid, claim.started))) {
      if (claim.pid !== me.pid) fs.rmSync(file, { force: true });
      else throw new ClusterError(`this process already serves the sandbox state ${statePath}`);
      continue;
    }
    if (claim && opts.ownerOnly) {
      throw new ClusterError(
        `vela-ts (pid ${claim.pid}) already serves the sandbox state ${statePath}; stop it first, or point kubectl at its kubeconfig${claim.kubeconfig ? ` ${claim.kubeconfig}` : ''}`,
      );
    }
    if (claim?.presence !== undefined && claim.key && claim.kubeconfig) {
      const guest = await join(claim);
      if (guest) return guest;
    }
    if (Date.now() > deadline) {
      throw new ClusterError(
        `the sandbox in ${dir} is claimed by vela-ts (pid ${claim?.pid ?? '?'}), which did not start serving it; stop that process, or remove ${file} if it is not running`,
      );
    }
    // Not serving yet, or on its way out: look again when the folder changes.
    await nextChange(dir, Math.max(0, Math.min(1000, deadline - Date.now())));
  }
}

function owner(file: string, me: { pid: number; started: string }): Owner {
  const guests = new Set<net.Socket>();
  let closing = false;
  let emptied: (() => void) | undefined;
  let door: net.Server | undefined;
  const drop = (s: net.Socket) => {
    guests.delete(s);
    if (guests.size === 0) emptied?.();
  };
  return {
    role: 'owner',
    async serving(kubeconfigPath) {
      const key = randomBytes(24).toString('base64url');
      door = net.createServer((socket) => {
        let text = '';
        socket.setEncoding('utf8');
        socket.on('error', () => drop(socket));
        socket.on('close', () => drop(socket));
        socket.on('data', (chunk: string) => {
          if (guests.has(socket)) return;
          text += chunk;
          if (!text.includes('\n')) return;
          if (closing || text.split('\n')[0] !== key) {
            socket.destroy();
            return;
          }
          guests.add(socket);
          socket.write('ok\n');
        });
      });
      const server = door;
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
      });
      writePrivate(file, {
        pid: me.pid,
        started: me.started,
        presence: port,
        key,
        kubeconfig: kubeconfigPath,
      });
    },
    async drain(opts = {}) {
      closing = true;
      door?.close();
      if (guests.size > 0 && !opts.now) {
        opts.notice?.(
          `the sandbox stays up while ${guests.size === 1 ? 'another vela-ts command uses' : `${guests.size} other vela-ts commands use`} it; this one ends when they do (Ctrl-C stops it, and them)`,
        );
        await new Promise<void>((resolve) => (emptied = resolve));
      }
      for (const s of guests) s.destroy();
    },
    release() {
      closing = true;
      door?.close();
      for (const s of guests) s.destroy();
      if (readClaim(file)?.pid === me.pid) fs.rmSync(file, { force: true });
      return Promise.resolve();
    },
  };
}

/** Becomes a guest of the owner described by `claim`; undefined when it is no longer taking any. */
function join(claim: Claim): Promise<Guest | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(claim.presence ?? 0, '127.0.0.1');
    let answer = '';
    const fail = () => {
      socket.destroy();
      resolve(undefined);
    };
    socket.setEncoding('utf8');
    socket.on('error', fail);
    socket.on('close', fail);
    socket.on('connect', () => socket.write(`${claim.key}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer !== 'ok\n') return;
      let kubeconfig: string;
      try {
        kubeconfig = fs.readFileSync(claim.kubeconfig ?? '', 'utf8');
      } catch {
        fail();
        return;
      }
      socket.off('close', fail);
      socket.off('error', fail);
      socket.on('error', () => undefined);
      // The connection is the guest's presence; it must not keep a finished command alive.
      socket.unref();
      resolve({
        role: 'guest',
        kubeconfig,
        owner: claim.pid,
        release: () => {
          socket.destroy();
          return Promise.resolve();
        },
      });
    });
  });
}
