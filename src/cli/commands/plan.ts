import type { GlobalOptions } from '../main.js';
import type { IO } from '../io.js';

export async function plan(
  _opts: { file: string; from?: string; output: 'text' | 'json'; globals: GlobalOptions },
  io: IO,
): Promise<number> {
  io.stderr.write('plan: not built yet\n');
  return 1;
}
