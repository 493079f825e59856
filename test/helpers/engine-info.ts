// EngineInfo for test doubles of an engine: plausible fixed facts, with what the test cares about overridden.
import type { EngineInfo } from '@domain/engine';
import { testVerdictContext } from './verdict-context';

export function testEngineInfo(overrides: Partial<EngineInfo> = {}): EngineInfo {
  return {
    engine: 'llama.node',
    profileId: 'guardtrace-vl',
    decoding: testVerdictContext().decoding,
    modelId: 'model-a',
    modelName: 'scripted',
    architecture: 'qwen2vl',
    quantization: 'F16',
    sizeBytes: 1,
    contextLength: 8192,
    hasVision: true,
    gpu: { backend: 'cpu' },
    build: { name: 'test', version: '0' },
    promptSha256: 'prompt-a',
    promptHashOk: true,
    dataLeavesMachine: false,
    warnings: [],
    ...overrides,
  };
}
