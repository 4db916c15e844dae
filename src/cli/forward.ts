/**
 * `glm forward` (flags and the work): one forward (and optionally backward) pass over a batch stored in safetensors,
 * written back as safetensors. The parity command: researchers also use it to dump activations.
 *
 * Input tensors: input_ids [B, S]; position_ids [B, 2, S]; sep [B] or attention_mask [B, 1, S, K];
 * optional targets [B, S] and loss_mask [B, S]. Output: logits [B, S, V]; with targets also loss
 * (Σ CE·loss_mask / Σ loss_mask); with --grads also grad.<param> for every parameter.
 */
import { resolveModel } from '../hub/resolve.js';
import { GlmError } from '../util/errors.js';
import { SafetensorsReader, writeSafetensors, type SafetensorsTensorInput } from '../io/safetensors.js';
import { loadFolder } from '../io/checkpoint.js';
import { explicitMaskFromShape, type ModelInput } from '../model/inputs.js';
import { backward } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import { Option, type Command } from 'commander';
import { backendNames, setBackend, type BackendName } from '../backend/index.js';

export interface ForwardCommandOptions {
  model: string;
  input: string;
  output: string;
  grads?: boolean;
}

function readInputs(file: string): { input: ModelInput; targets: Int32Array | null; lossMask: Float32Array | null } {
  const r = SafetensorsReader.open(file);
  try {
    const need = (name: string): void => {
      if (!r.has(name)) throw new GlmError('E_INPUT_MISSING', `input file has no '${name}' tensor (have: ${r.names().join(', ')})`, { path: file });
    };
    need('input_ids');
    need('position_ids');
    const idsInfo = r.info('input_ids');
    if (idsInfo.shape.length !== 2) throw new GlmError('E_INPUT_SHAPE', `input_ids must be [B, S], got [${idsInfo.shape.join(', ')}]`, { path: file });
    const [B, S] = idsInfo.shape as [number, number];
    const ids = r.readInt32('input_ids');
    const pos = r.readInt32('position_ids', { shape: [B, 2, S] });
    let mask: ModelInput['mask'];
    if (r.has('sep')) mask = { sep: r.readInt32('sep', { shape: [B] }) };
    else if (r.has('attention_mask')) {
      const info = r.info('attention_mask');
      const m = info.dtype === 'I64' || info.dtype === 'I32' ? Float32Array.from(r.readInt32('attention_mask')) : r.readFloat32('attention_mask');
      mask = explicitMaskFromShape(m, info.shape, B, S);
    } else throw new GlmError('E_INPUT_MISSING', "input file needs 'sep' [B] or 'attention_mask' [B, 1, S, K]", { path: file });
    const targets = r.has('targets') ? r.readInt32('targets', { shape: [B, S] }) : null;
    let lossMask: Float32Array | null = null;
    if (targets) {
      if (r.has('loss_mask')) {
        const info = r.info('loss_mask');
        lossMask = info.dtype === 'I64' || info.dtype === 'I32' ? Float32Array.from(r.readInt32('loss_mask', { shape: [B, S] })) : r.readFloat32('loss_mask', { shape: [B, S] });
      } else lossMask = new Float32Array(B * S).fill(1);
    }
    return { input: { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask }, targets, lossMask };
  } finally {
    r.close();
  }
}

export function runForward(opts: ForwardCommandOptions): { loss: number | null; outputs: string[] } {
  const { model } = loadFolder(opts.model);
  const { input, targets, lossMask } = readInputs(opts.input);
  if (opts.grads && !targets) throw new GlmError('E_INPUT_MISSING', '--grads needs targets [B, S] (and optionally loss_mask) in the input file', { path: opts.input });
  const { logits } = model.forward(input);
  const out = new Map<string, SafetensorsTensorInput>();
  out.set('logits', { dtype: 'F32', shape: logits.shape, data: logits.f32 });
  let lossValue: number | null = null;
  if (targets && lossMask) {
    const loss = crossEntropy(logits, targets, lossMask);
    lossValue = loss.item();
    out.set('loss', { dtype: 'F32', shape: [], data: Float32Array.of(lossValue) });
    if (opts.grads) {
      model.params.zeroGrad();
      backward(loss);
      for (const [name, t] of model.params.entries()) out.set(`grad.${name}`, { dtype: 'F32', shape: t.shape, data: t.grad! });
    }
  }
  writeSafetensors(opts.output, out, { producer: 'glm-ts forward' });
  return { loss: lossValue, outputs: [...out.keys()] };
}

export function register(program: Command): void {
  program
    .command('forward')
    .description('run the model on a batch stored in safetensors and write logits (and loss, gradients)')
    .requiredOption('--model <dir>', 'model folder with config.json and model.safetensors, or a Hub name OWNER/NAME[@REVISION]')
    .requiredOption('--input <file>', 'input_ids [B,S], position_ids [B,2,S], sep [B] or attention_mask [B,1,S,K]; optional targets, loss_mask')
    .requiredOption('--output <file>', 'output safetensors: logits [B,S,V], loss, grad.<param>')
    .option('--grads', 'also write the gradient of the loss for every parameter')
    .addOption(new Option('--backend <name>', 'compute backend').choices(backendNames()))
    .action(async (o: { model: string; input: string; output: string; grads?: boolean; backend?: BackendName }) => {
      o.model = await resolveModel(o.model);
      if (o.backend) setBackend(o.backend);
      const r = runForward(o);
      process.stdout.write(JSON.stringify({ output: o.output, tensors: r.outputs.length, loss: r.loss }) + '\n');
    });
}
