import { compile, initialPlacement, resolveRevisions } from '../../compile/index.js';
import { toJson, toYaml } from '../format.js';
import type { IO } from '../io.js';
import { loadAppFile, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../globals.js';
import { EXIT_OK } from '../errors.js';

export interface RenderOptions {
  file: string;
  output: 'yaml' | 'json';
  globals: GlobalOptions;
}

/** The objects of a first deploy of FILE: no cluster, no workflow, nothing loaded that talks to one. */
export async function render(opts: RenderOptions, io: IO): Promise<number> {
  const parsed = await loadAppFile(opts.file, io);
  const namespace = resolveNamespace(parsed, opts.globals.namespace);
  const { current, history } = resolveRevisions(parsed.app, {});
  const objects = compile(parsed.app, namespace, initialPlacement(parsed.app, current), history);
  io.stdout.write(opts.output === 'json' ? toJson(objects) : toYaml(objects));
  return EXIT_OK;
}
