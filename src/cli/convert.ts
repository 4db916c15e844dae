/** `glm convert SRC DST`: any readable checkpoint → HF-layout folder (safetensors + config.json + tokenizer files). */
import { Option, type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { convertCheckpoint, type ExportDType } from '../convert/export.js';
import type { GLMConfig } from '../model/config.js';
import { resolveModel } from '../hub/resolve.js';

interface ConvertFlags {
  dtype?: ExportDType;
  tokenizer?: string;
  spModel?: string;
  vocab?: string;
  merges?: string;
  allowUnexpected?: boolean;
  allowGlobal?: string[];
  gelu?: 'erf' | 'tanh';
  heads?: string;
  copyGmaskRow?: boolean;
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a checkpoint (HF folder, pytorch_model.bin, sharded index, mp_rank_00_model_states.pt) into an HF-layout folder')
    .argument('<src>', 'checkpoint folder or file, or a Hub name OWNER/NAME[@REVISION]')
    .argument('<dst>', 'output folder')
    .addOption(new Option('--dtype <dtype>', 'stored dtype (default: the source dtype)').choices(['f32', 'f16', 'bf16']))
    .option('--tokenizer <name|dir>', 'tokenizer files to write (default: those in the source folder)')
    .option('--sp-model <file>', 'SentencePiece model for the Chinese tokenizers')
    .option('--vocab <file>', 'RoBERTa vocab.json')
    .option('--merges <file>', 'RoBERTa merges.txt')
    .option('--allow-unexpected', 'drop unknown tensors instead of refusing the checkpoint')
    .option('--allow-global <names...>', 'pickle globals to record as inert data (never called), e.g. a DeepSpeed class')
    .addOption(new Option('--gelu <kind>', 'override the GELU recorded in config.json').choices(['erf', 'tanh']))
    .option('--heads <n>', 'number of attention heads, when it cannot be read from the checkpoint')
    .option('--copy-gmask-row', 'glm-10b-chinese: copy embedding row 50007 to 50009 (the hub [gMASK] id, spec §2.6)')
    .action(async (name: string, dst: string, o: ConvertFlags) => {
      const src = await resolveModel(name);
      const config: Partial<GLMConfig> = {};
      if (o.gelu) config.gelu = o.gelu;
      if (o.heads !== undefined) {
        if (!/^\d+$/.test(o.heads)) throw new GlmError('E_CLI', `--heads must be a positive integer, got ${JSON.stringify(o.heads)}`);
        config.num_attention_heads = Number(o.heads);
      }
      const report = convertCheckpoint(src, dst, {
        ...(o.dtype ? { dtype: o.dtype } : {}),
        ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}),
        tokenizerOptions: {
          ...(o.spModel ? { spModel: o.spModel } : {}),
          ...(o.vocab ? { vocabFile: o.vocab } : {}),
          ...(o.merges ? { mergesFile: o.merges } : {}),
        },
        ...(o.allowUnexpected ? { allowUnexpected: true } : {}),
        ...(o.allowGlobal ? { inertGlobals: o.allowGlobal } : {}),
        ...(Object.keys(config).length ? { config } : {}),
        ...(o.copyGmaskRow ? { copyEmbeddingRow: { from: 50007, to: 50009 } } : {}),
      });
      process.stdout.write(JSON.stringify(report) + '\n');
    });
}
