import type { ModelMetadata } from '../../dataplane/index.ts';
import { tritonModelConfig, type ConfigTensor } from '../triton/model-config.ts';
import { enumValue } from './schema.ts';

interface ConfigMessageTensor extends Omit<ConfigTensor, 'data_type'> {
  readonly data_type: number;
}

export interface ConfigMessage {
  name: string;
  platform: string;
  backend: string;
  max_batch_size: number;
  input: ConfigMessageTensor[];
  output: ConfigMessageTensor[];
}

/** Triton's model configuration (the one the HTTP `/config` route answers) as a ModelConfig message. */
export function modelConfig(metadata: ModelMetadata, labelFile?: string): ConfigMessage {
  const config = tritonModelConfig(metadata, labelFile);
  const tensor = (t: ConfigTensor): ConfigMessageTensor => ({ ...t, data_type: enumValue('inference.DataType', t.data_type) });
  return { ...config, input: config.input.map(tensor), output: config.output.map(tensor) };
}
