// Loaded with `node --import`: prints every package the process loads to stderr as
// `[import] <specifier>`, so a test can prove a command never loaded the cluster client.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        if (!specifier.startsWith('.') && !specifier.startsWith('file:') && !specifier.startsWith('node:') && !specifier.startsWith('data:')) {
          process.stderr.write('[import] ' + specifier + '\\n');
        }
        return next(specifier, context);
      }
    `),
);
