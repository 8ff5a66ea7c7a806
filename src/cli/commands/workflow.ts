import { edit, pickApp, restart, resume, rollback as runRollback } from '../../engine/index.js';
import type { IO } from '../io.js';
import type { GlobalOptions } from '../globals.js';
import { canPrompt, connectionFlags, settleOutcome } from '../gate.js';
import { openSession } from '../session.js';
import { loadAppFile, resolveNamespace } from '../load.js';
import { EXIT_OK } from '../errors.js';

export type WorkflowVerb = 'resume' | 'suspend' | 'terminate' | 'restart' | 'rollback';

export interface WorkflowOptions {
  verb: WorkflowVerb;
  app?: string;
  file?: string;
  yes: boolean;
  noPrompt: boolean;
  timeout?: string;
  settle?: string;
  /** rollback: the component to roll back (default: the one with a rollout trait). */
  component?: string;
  globals: GlobalOptions;
}

/** `workflow resume|suspend|terminate|restart|rollback [APP]` and `rollback [APP]`. */
export async function workflow(opts: WorkflowOptions, io: IO): Promise<number> {
  // -f names the app by its file, and the file may say its namespace too.
  const parsed = opts.file ? await loadAppFile(opts.file) : undefined;
  const named = opts.app ?? parsed?.app.name;
  const session = await openSession(opts.globals, io, {
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    ...(opts.settle ? { settle: opts.settle } : {}),
  });
  try {
    const ns = parsed
      ? resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace)
      : (opts.globals.namespace ?? session.cluster.defaultNamespace);
    const app = await pickApp(session.ctx, ns, named);
    const gate = {
      yes: opts.yes,
      prompt: canPrompt(io, opts.noPrompt),
      connection: connectionFlags(opts.globals),
    };
    switch (opts.verb) {
      case 'resume':
        return await settleOutcome(await resume(session.ctx, ns, app), session, io, gate);
      case 'restart':
        return await settleOutcome(await restart(session.ctx, ns, app), session, io, gate);
      case 'rollback':
        return await settleOutcome(
          await runRollback(session.ctx, ns, app, opts.component),
          session,
          io,
          gate,
        );
      case 'suspend':
      case 'terminate': {
        const { changed } = await edit(session.ctx, ns, app, opts.verb);
        const done = opts.verb === 'suspend' ? 'suspended' : 'terminated';
        io.stdout.write(
          changed ? `${app}: workflow ${done}.\n` : `${app}: the workflow was already ${done}.\n`,
        );
        return EXIT_OK;
      }
    }
  } finally {
    await session.close();
  }
}
