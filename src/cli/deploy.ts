import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { writeKubernetes } from './deploy/kubernetes.ts';
import { registerDeployTraffic } from './deploy-traffic.ts';

interface KubernetesFlags {
  image: string;
  out: string;
  overlay: string;
  config?: string;
  render?: boolean;
}

const DEPLOY_DIR = path.resolve(import.meta.dirname, '../../deploy');

export function registerDeploy(program: Command): void {
  const deploy = program.command('deploy').description('deployment manifests for a model repository, and the traffic of inference graphs on a running server');
  deploy
    .command('kubernetes')
    .description('write a Kustomize directory (Deployment, Service, autoscaling, PodDisruptionBudget, ConfigMaps, ServiceMonitor) for a repository')
    .argument('[repository]', 'model repository the image serves (its model.yaml files become a ConfigMap)', 'models')
    .requiredOption('--image <image>', 'the image `ferry build` made for this repository, name[:tag]')
    .requiredOption('--out <dir>', 'folder to write the Kustomize directory to (replaced)')
    .option('--overlay <name>', 'development | production | shared-state', 'production')
    .option('--config <file>', 'a ferry.yaml for the ConfigMap instead of the default one')
    .option('--render', 'print the rendered manifests (kubectl kustomize) instead of how to apply them')
    .action(async (repository: string, flags: KubernetesFlags) => {
      const { models } = await writeKubernetes({ deployDir: DEPLOY_DIR, repository, out: flags.out, image: flags.image, overlay: flags.overlay, config: flags.config });
      if (flags.render) {
        const { stdout } = await promisify(execFile)('kubectl', ['kustomize', flags.out], { maxBuffer: 64 * 1024 * 1024 });
        process.stdout.write(stdout);
        return;
      }
      console.log(`wrote the ${flags.overlay} overlay to ${path.resolve(flags.out)} (model.yaml of: ${models.join(', ') || 'none'})`);
      console.log(`render: kubectl kustomize ${flags.out}    apply: kubectl apply -k ${flags.out}`);
    });
  registerDeployTraffic(deploy);
}
