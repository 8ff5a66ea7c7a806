/**
 * The upstream protobuf definitions of the built-in kinds (schemas/kubernetes-v1.32/proto, the
 * `generated.proto` files of k8s.io/api and k8s.io/apimachinery), parsed with protobufjs the first
 * time a protobuf request body arrives: neither the library nor the files are loaded before, so
 * neither the CLI nor a sandbox that only sees JSON pays for them.
 */
import { createRequire } from 'node:module';
import type { Root, Type } from 'protobufjs';
import { PROTO_FILES, readSchema } from './paths.js';

type Protobuf = typeof import('protobufjs');

let loaded: { protobuf: Protobuf; root: Root } | undefined;

function load(): { protobuf: Protobuf; root: Root } {
  const protobuf = createRequire(import.meta.url)('protobufjs') as Protobuf;
  const root = new protobuf.Root();
  // keepCase: the .proto field names are the JSON names (generateName, not generate_name).
  for (const f of PROTO_FILES)
    protobuf.parse(readSchema(`kubernetes-v1.32/proto/${f}`).toString('utf8'), root, { keepCase: true });
  root.resolveAll();
  return { protobuf, root };
}

/** The message type of that full name (`k8s.io.api.core.v1.Pod`), if the definitions have one. */
export function protoType(fullName: string): Type | undefined {
  loaded ??= load();
  return (loaded.root.lookup(fullName, loaded.protobuf.Type) as Type | null) ?? undefined;
}
