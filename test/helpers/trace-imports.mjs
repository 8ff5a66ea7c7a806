// Loaded with `node --import`: prints every module the process loads to stderr, a package as
// `[import] <specifier>` and a file as `[file] <path>`, both the ES modules it imports and the
// CommonJS it requires, so a test can prove a command never loaded the cluster client. (The
// bundled packages, commander, yaml and js-yaml, are inside dist/bin/vela-ts.cjs and never
// loaded as packages; the ones kept outside the bundle are: scripts/bundle.js.)
import Module, { register } from 'node:module';

const bare = (s) =>
  !s.startsWith('.') &&
  !s.startsWith('/') &&
  !s.startsWith('file:') &&
  !s.startsWith('node:') &&
  !s.startsWith('data:');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const file = resolveFilename.call(this, request, ...rest);
  if (bare(request) && !Module.isBuiltin(request)) process.stderr.write(`[import] ${request}\n`);
  if (file.startsWith('/')) process.stderr.write(`[file] ${file}\n`);
  return file;
};

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      const bare = ${bare.toString()};
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        if (resolved.url.startsWith('file:')) process.stderr.write('[file] ' + new URL(resolved.url).pathname + '\\n');
        if (bare(specifier)) process.stderr.write('[import] ' + specifier + '\\n');
        return resolved;
      }
    `),
);
