#!/usr/bin/env node
// Build and type-check in one compile (npm test): a single TypeScript program over tsconfig.json
// (src, test, scripts) reports every error `npm run typecheck` would, and emits dist/ for src/ alone,
// the files `npm run build` (tsc -p tsconfig.build.json) writes. Running those two compiles src twice.
//
// What the build's own settings add is checked here too: tsconfig.build.json compiles src/ with
// rootDir src and types ["node"], so src/ may not import a file outside src/ (other than a
// package's) nor use a global that only the tests' Jest types declare.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { bundle } from './bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parse(file) {
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) report([read.error]);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file), undefined, file);
  if (parsed.errors.length > 0) report(parsed.errors);
  return parsed;
}

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => ts.sys.newLine,
};

function report(diagnostics) {
  const format = process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stderr.write(format(diagnostics, host));
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  if (errors > 0) {
    process.stderr.write(`\nFound ${errors} error${errors === 1 ? '' : 's'}.\n`);
    process.exit(2);
  }
}

const all = parse(path.join(root, 'tsconfig.json'));
const build = parse(path.join(root, 'tsconfig.build.json'));
const srcDir = path.resolve(build.options.rootDir);
const outDir = path.resolve(build.options.outDir);
// Where this program (rootDir ".") would put src/'s output: dist/src/.
const emittedSrc = path.join(
  path.resolve(all.options.outDir),
  path.relative(path.resolve(all.options.rootDir), srcDir),
);
const isSrc = (file) => !path.relative(srcDir, file).startsWith('..');

const program = ts.createProgram({ rootNames: all.fileNames, options: all.options });
const diagnostics = [...ts.getPreEmitDiagnostics(program)];

const srcFiles = build.fileNames.map((f) => program.getSourceFile(f));
// Reported with the codes tsc -p tsconfig.build.json gives the same mistakes.
const problem = (code, file, start, length, messageText) => ({
  category: ts.DiagnosticCategory.Error,
  code,
  file,
  start,
  length,
  messageText,
});

// rootDir src: every module src/ imports is in src/ or in a package.
for (const sf of srcFiles) {
  for (const ref of ts.preProcessFile(sf.text, true, true).importedFiles) {
    const resolved = ts.resolveModuleName(ref.fileName, sf.fileName, all.options, ts.sys).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport || isSrc(resolved.resolvedFileName)) continue;
    const message = `'${ref.fileName}' is outside src/, the rootDir of tsconfig.build.json`;
    diagnostics.push(problem(6059, sf, ref.pos, ref.end - ref.pos, message));
  }
}

// types ["node"]: nothing in src/ refers to what only @types/jest declares (describe, expect, jest.*).
const checker = program.getTypeChecker();
const jestTypes = `${path.sep}node_modules${path.sep}@types${path.sep}jest${path.sep}`;
const onlyJest = (node) => {
  const decls = checker.getSymbolAtLocation(node)?.declarations ?? [];
  return decls.length > 0 && decls.every((d) => path.resolve(d.getSourceFile().fileName).includes(jestTypes));
};
for (const sf of srcFiles) {
  const visit = (node) => {
    if (ts.isIdentifier(node) && onlyJest(node)) {
      const message = `'${node.text}' is declared only by @types/jest, which src/ is built without`;
      diagnostics.push(problem(2304, sf, node.getStart(sf), node.getWidth(sf), message));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

// src/ alone, into dist/ (dist/src/x.js -> dist/x.js).
for (const sf of srcFiles) {
  const emitted = program.emit(sf, (fileName, text, bom) => {
    ts.sys.writeFile(path.join(outDir, path.relative(emittedSrc, path.resolve(fileName))), text, bom);
  });
  diagnostics.push(...emitted.diagnostics);
}

report(diagnostics);

// What bin/vela-ts.js runs: dist/cli/main.js and everything it imports, bundled (scripts/bundle.js).
await bundle();
