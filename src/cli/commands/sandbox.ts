import type { IO } from '../io.js';

export async function serve(_opts: Record<string, string | undefined>, io: IO): Promise<number> {
  io.stderr.write('sandbox serve: not built yet\n');
  return 1;
}
