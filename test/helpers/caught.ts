import { ClusterError } from '../../src/errors.js';

/** The ClusterError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function caught(p: Promise<unknown>): Promise<ClusterError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterError);
    return err as ClusterError;
  }
  throw new Error('expected a ClusterError');
}
