import { generateTls, type TlsMaterial } from '../../src/sandbox/tls.js';

let shared: TlsMaterial | undefined;

/**
 * One CA and server certificate for all the sandboxes a test file starts (each still has its own
 * port and token): making them means two RSA key pairs, a few hundred milliseconds a sandbox.
 */
export function sharedTls(): TlsMaterial {
  return (shared ??= generateTls());
}
