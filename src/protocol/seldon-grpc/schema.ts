import path from 'node:path';
import protobuf from 'protobufjs';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/** Ferry's copy of Seldon's prediction.proto, and the part of TensorFlow's tensor protos it refers to. */
export const SELDON_PROTO_DIR = path.join(import.meta.dirname, 'proto');
export const SELDON_PROTO_FILES = ['prediction.proto'] as const;

/** google/protobuf/* are protobufjs's bundled definitions; every other import is a file of SELDON_PROTO_DIR. */
function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(SELDON_PROTO_DIR, path.basename(target)));
  root.loadSync([...SELDON_PROTO_FILES], { keepCase: true });
  root.resolveAll();
  return root;
}

const root = loadRoot();
const type = (name: string): protobuf.Type => root.lookupType(name);

export const SELDON_TYPES = {
  SeldonMessage: type('seldon.protos.SeldonMessage'),
  SeldonMessageList: type('seldon.protos.SeldonMessageList'),
  Feedback: type('seldon.protos.Feedback'),
  SeldonModelMetadataRequest: type('seldon.protos.SeldonModelMetadataRequest'),
  SeldonModelMetadata: type('seldon.protos.SeldonModelMetadata'),
  SeldonGraphMetadata: type('seldon.protos.SeldonGraphMetadata'),
  Empty: type('google.protobuf.Empty'),
} as const;

export type SeldonMessageName = keyof typeof SELDON_TYPES;

/** The same definitions as a proto-loader package definition, for server reflection. */
export function seldonPackageDefinition(): PackageDefinition {
  return loadSync([...SELDON_PROTO_FILES], {
    includeDirs: [SELDON_PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
}
