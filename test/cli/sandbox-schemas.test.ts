import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';

// The sandbox serves and validates against upstream schemas that are not part of the package:
// without them it must say where it looked and what to set, not die with a raw ENOENT.

const first = path.join(kubevelaExamples, 'first-deploy.yaml');

function emptySchemas(): { cwd: string; schemas: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-schemas-'));
  const schemas = path.join(cwd, 'schemas');
  mkdirSync(schemas);
  return { cwd, schemas };
}

const expectedError = (dir: string) =>
  `error: the sandbox needs the Kubernetes and Istio schemas, but istio-1.29.6/networking.istio.io-crds.yaml is not in ${dir} (VELA_TS_SCHEMAS_DIR); set VELA_TS_SCHEMAS_DIR to the folder that holds istio-1.29.6/ and kubernetes-v1.32/\n`;

describe('the sandbox without its schemas', () => {
  it('GIVEN VELA_TS_SCHEMAS_DIR is an empty folder WHEN sandbox serve runs THEN exit 2 with one sentence naming the folder', async () => {
    const { cwd, schemas } = emptySchemas();
    const res = await runCli(['sandbox', 'serve'], { cwd, env: { VELA_TS_SCHEMAS_DIR: schemas } });
    expect(res).toEqual({ code: 2, stdout: '', stderr: expectedError(schemas) });
  });

  it('GIVEN VELA_TS_SCHEMAS_DIR is an empty folder WHEN up --sandbox runs THEN exit 2 with the same sentence, and no lock is left behind', async () => {
    const { cwd, schemas } = emptySchemas();
    const res = await runCli(['up', first, '--sandbox'], { cwd, env: { VELA_TS_SCHEMAS_DIR: schemas } });
    expect(res).toEqual({ code: 2, stdout: '', stderr: expectedError(schemas) });
    expect(readdirSync(path.join(cwd, '.vela-ts'))).toEqual([]);
  });

  it('GIVEN a relative VELA_TS_SCHEMAS_DIR THEN it is read from the working directory, and the message names it in full', async () => {
    const { cwd, schemas } = emptySchemas();
    const res = await runCli(['sandbox', 'serve'], { cwd, env: { VELA_TS_SCHEMAS_DIR: 'schemas' } });
    expect(res).toEqual({ code: 2, stdout: '', stderr: expectedError(schemas) });
  });
});
