import { Command } from 'commander';
import { isFerryError } from '../errors/index.ts';
import { FERRY_VERSION } from '../version.ts';
import { registerModels } from './models.ts';
import { registerPredict } from './predict.ts';
import { registerRegistry } from './registry.ts';
import { registerBuild } from './build.ts';
import { registerDeploy } from './deploy.ts';
import { registerServe } from './serve.ts';
import { registerValidate } from './validate.ts';

const program = new Command('ferry')
  .description('Ferry: fast, safe, observable model serving')
  .version(FERRY_VERSION);
registerServe(program);
registerRegistry(program);
registerModels(program);
registerValidate(program);
registerPredict(program);
registerBuild(program);
registerDeploy(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(isFerryError(error) ? `ferry: ${error.code}: ${error.message}` : error);
  process.exit(1);
});
