import type { GlobalOptions } from '../main.js';
import type { IO } from '../io.js';

export async function render(_opts: { file: string; output: 'yaml' | 'json'; globals: GlobalOptions }, io: IO): Promise<number> {
  io.stderr.write('render: not built yet\n');
  return 1;
}
