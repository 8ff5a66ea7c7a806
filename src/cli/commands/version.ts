import type { ServerVersion } from '../../cluster/types.js';
import { CLIENT_VERSION } from '../client-version.js';
import { EXIT_OK } from '../errors.js';
import { toJson } from '../format.js';
import type { GlobalOptions } from '../globals.js';
import type { IO } from '../io.js';
import { openSession } from '../session.js';

export interface VersionOptions {
  /** `--client`: this program's version only, no cluster. */
  client: boolean;
  output: 'text' | 'json';
  globals: GlobalOptions;
}

/**
 * A version check answers quickly or not at all: a server that does not answer /version within
 * this long is reported as such (refused connections fail at once anyway).
 */
const VERSION_TIMEOUT = '15s';

const clientVersion = () => ({
  version: CLIENT_VERSION,
  nodeVersion: process.version,
  platform: `${process.platform}/${process.arch}`,
});

/**
 * `vela-ts version`, as `kubectl version`: the client's version, then the server's `gitVersion`
 * from `/version`. The client's is printed first, so a cluster that cannot be reached still
 * leaves it on stdout; the error then follows on stderr with the exit code of any command that
 * cannot reach its cluster (1; a kubeconfig that does not work is bad input, 2).
 */
export async function version(opts: VersionOptions, io: IO): Promise<number> {
  const client = clientVersion();
  if (opts.client) {
    io.stdout.write(
      opts.output === 'json' ? toJson({ clientVersion: client }) : `Client Version: ${client.version}\n`,
    );
    return EXIT_OK;
  }
  let server: ServerVersion;
  let sandbox = false;
  try {
    const session = await openSession(opts.globals, io, { timeout: VERSION_TIMEOUT });
    try {
      server = await session.cluster.serverVersion();
      sandbox = session.cluster.isSandbox;
    } finally {
      await session.close();
    }
  } catch (err) {
    io.stdout.write(
      opts.output === 'json' ? toJson({ clientVersion: client }) : `Client Version: ${client.version}\n`,
    );
    throw err;
  }
  if (opts.output === 'json') {
    io.stdout.write(toJson({ clientVersion: client, serverVersion: server }));
  } else {
    io.stdout.write(`Client Version: ${client.version}\n`);
    io.stdout.write(
      `Server Version: ${server.gitVersion}${sandbox ? ' (the vela-ts sandbox, a simulated cluster)' : ''}\n`,
    );
  }
  return EXIT_OK;
}
