/** `glm forward` flag parsing (the work is in forward.ts). */
import { Option, type Command } from 'commander';
import { setBackend, type BackendName } from '../backend/index.js';
import { runForward } from './forward.js';
import { resolveModel } from '../hub/resolve.js';

export function register(program: Command): void {
  program
    .command('forward')
    .description('run the model on a batch stored in safetensors and write logits (and loss, gradients)')
    .requiredOption('--model <dir>', 'model folder with config.json and model.safetensors, or a Hub name OWNER/NAME[@REVISION]')
    .requiredOption('--input <file>', 'input_ids [B,S], position_ids [B,2,S], sep [B] or attention_mask [B,1,S,K]; optional targets, loss_mask')
    .requiredOption('--output <file>', 'output safetensors: logits [B,S,V], loss, grad.<param>')
    .option('--grads', 'also write the gradient of the loss for every parameter')
    .addOption(new Option('--backend <name>', 'compute backend').choices(['native', 'reference']))
    .action(async (o: { model: string; input: string; output: string; grads?: boolean; backend?: BackendName }) => {
      o.model = await resolveModel(o.model);
      if (o.backend) setBackend(o.backend);
      const r = runForward(o);
      process.stdout.write(JSON.stringify({ output: o.output, tensors: r.outputs.length, loss: r.loss }) + '\n');
    });
}
