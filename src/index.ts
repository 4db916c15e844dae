/**
 * glm-ts public API. Import from 'glm-ts' (this file) or from a module path under 'glm-ts/dist/'.
 */
// tensor core and backends
export { Tensor, tensor, intTensor, zeros, backward, noGrad, type Shape } from './tensor/tensor.js';
export { matmul, bmm, linear } from './tensor/ops/linalg.js';
export { add, mul, scale, sum } from './tensor/ops/elementwise.js';
export { reshape, permute, transpose, slice, concat } from './tensor/ops/shape.js';
export { embedding, embeddingSum, layerNorm, gelu, linearGelu, softmax, dropout, selfAttention, crossEntropy, setDropoutSeed } from './tensor/ops/nn.js';
export { backend, setBackend, withBackend, tryNative, referenceBackend, backendNames, BACKENDS, type BackendName, type BackendEntry } from './backend/index.js';
export type { Backend } from './backend/backend.js';

// model and checkpoints
export { GLMModel } from './model/glm.js';
export { type GLMConfig, parseConfig, makeConfig, configToJSON, parameterCount, PRESETS } from './model/config.js';
export { ParamStore, glmParamSpecs } from './model/params.js';
export { DecodeCache } from './model/cache.js';
export type { ModelInput, MaskInput } from './model/inputs.js';
export { loadFolder, saveModel, loadWeights, readConfig } from './io/checkpoint.js';
export { loadModel } from './hub/load.js';
export { defaultModelDir, DEFAULT_MODEL_NAME } from './io/default-model.js';
export { loadModelAsync } from './hub/load.js';
export { resolveModel, resolveModelSync, parseHubName, hubSettings } from './hub/index.js';
export { SafetensorsReader, readAll as readSafetensors, writeSafetensors, readSafetensorsHeader } from './io/safetensors.js';
export { GlmError, isGlmError } from './util/errors.js';

// tokenizers
export { loadTokenizer, BUILTIN_TOKENIZERS } from './tokenizer/load.js';
export type { GlmTokenizer, SpecialTokenIdMap } from './tokenizer/types.js';

// training
export { AdamW, clipCoefficient, clipGradients, gradNorm, type AdamWOptions } from './train/optimizer.js';
export { trainStep, accumulateGradients, maskedLmLoss, lossRows, type TrainBatch } from './train/step.js';
export { train, evaluate } from './train/trainer.js';
export { runPretrain } from './train/pretrain-run.js';

// data, generation, evaluation, fine-tuning tasks
export * as data from './data/index.js';
export * as generate from './generate/index.js';
export * as metrics from './eval/metrics/index.js';
export * as tasks from './tasks/index.js';
export * as finetune from './finetune/index.js';
