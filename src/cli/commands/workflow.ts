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
  prometheus?: string;
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
    ...(opts.prometheus ? { prometheus: opts.prometheus } : {}),
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
        const { state, changed } = await edit(session.ctx, ns, app, opts.verb);
        const done = opts.verb === 'suspend' ? 'suspended' : 'terminated';
        io.stdout.write(
          changed ? `${app}: workflow ${done}.\n` : `${app}: the workflow was already ${done}.\n`,
        );
        const target = `${app} -n ${ns}${gate.connection}`;
        if (opts.verb === 'suspend') {
          io.stdout.write(`Continue with: vela-ts workflow resume ${target}\n`);
        } else {
          // Every hint is a command that does something: a terminated workflow is not resumed.
          const split = Object.values(state.placement).some(
            (p) => (p.traffic ?? []).filter((t) => t.weight > 0).length > 1,
          );
          if (split)
            io.stdout.write(
              `Traffic stays split between revisions, each with only part of its replicas: put the stable revision back with vela-ts rollback ${target}\n`,
            );
          else io.stdout.write(`Put the stable revision back with: vela-ts rollback ${target}\n`);
          io.stdout.write(
            `or run the workflow again from its first step: vela-ts workflow restart ${target}\n`,
          );
        }
        return EXIT_OK;
      }
    }
  } finally {
    await session.close();
  }
}
