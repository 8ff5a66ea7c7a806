import { up as runUp } from '../../engine/index.js';
import type { IO } from '../io.js';
import { loadAppFile, locateRefusal, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../globals.js';
import { canPrompt, connectionFlags, settleOutcome } from '../gate.js';
import { openSession } from '../session.js';

export interface UpOptions {
  file: string;
  yes: boolean;
  noPrompt: boolean;
  timeout?: string;
  force: boolean;
  createNamespace?: boolean;
  skipMeshCheck?: boolean;
  settle?: string;
  prometheus?: string;
  globals: GlobalOptions;
}

export async function up(opts: UpOptions, io: IO): Promise<number> {
  // The whole file is valid before anything talks to the cluster.
  const parsed = await loadAppFile(opts.file, io);
  const session = await openSession(opts.globals, io, {
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    ...(opts.settle ? { settle: opts.settle } : {}),
    ...(opts.prometheus ? { prometheus: opts.prometheus } : {}),
    force: opts.force,
    createNamespace: opts.createNamespace ?? false,
    skipMeshCheck: opts.skipMeshCheck ?? false,
  });
  try {
    const namespace = resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace);
    const outcome = await runUp(session.ctx, parsed.app, namespace).catch((err: unknown) => {
      throw locateRefusal(parsed, err);
    });
    return await settleOutcome(outcome, session, io, {
      yes: opts.yes,
      prompt: canPrompt(io, opts.noPrompt),
      connection: connectionFlags(opts.globals),
    });
  } finally {
    await session.close();
  }
}
