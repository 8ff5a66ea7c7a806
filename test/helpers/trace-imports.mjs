// Loaded with `node --import`: prints every ES module the process resolves to stderr, a package as
// `[import] <specifier>` and a file as `[file] <path>`, so a test can prove a command never loaded
// the cluster client. (The bundled packages, commander, yaml and js-yaml, are inside the bundle and
// never resolved; the ones kept outside it are: scripts/bundle.js.)
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        if (resolved.url.startsWith('file:')) {
          process.stderr.write('[file] ' + new URL(resolved.url).pathname + '\\n');
        }
        if (!specifier.startsWith('.') && !specifier.startsWith('file:') && !specifier.startsWith('node:') && !specifier.startsWith('data:')) {
          process.stderr.write('[import] ' + specifier + '\\n');
        }
        return resolved;
      }
    `),
);
