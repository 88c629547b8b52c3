import path from 'node:path';
import type { Command } from 'commander';
import { FERRY_VERSION } from '../version.ts';
import { writeBuildContext } from './image/context.ts';

interface BuildFlags {
  out: string;
  config?: string;
  httpPort: string;
  grpcPort: string;
}

const FERRY_ROOT = path.resolve(import.meta.dirname, '../..');

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('write a Docker build context (Dockerfile, .dockerignore, Ferry, the models) for an image that serves a model repository')
    .argument('[repository]', 'model repository to serve (default ./models)', 'models')
    .requiredOption('--out <dir>', 'folder to write the build context to (empty or new)')
    .option('--config <file>', 'a ferry.yaml to bake into the image')
    .option('--http-port <port>', 'HTTP port the image serves on', '8080')
    .option('--grpc-port <port>', 'gRPC port the image serves on', '8081')
    .action(async (repository: string, flags: BuildFlags) => {
      const { files } = await writeBuildContext({
        ferryRoot: FERRY_ROOT, repository, out: flags.out, config: flags.config,
        spec: { nodeVersion: process.versions.node, ferryVersion: FERRY_VERSION, httpPort: Number(flags.httpPort), grpcPort: Number(flags.grpcPort), uid: 1000 },
      });
      console.log(`wrote ${files.join(', ')} to ${path.resolve(flags.out)}`);
      console.log(`build the image with: docker build -t ferry-models ${flags.out}`);
    });
}
