/**
 * The list of `glm` subcommands. Each command lives in its own file and exports
 * `register(program)`; adding a command is one import and one line here.
 */
import type { Command } from 'commander';
import { register as forward } from './forward.js';
import { register as pretrain } from './pretrain.js';
import { register as infill } from './infill.js';
import { register as tokenize } from './tokenize.js';
import { register as inspect } from './inspect.js';
import { register as convert } from './convert.js';
import { register as tokenizerTrain } from './tokenizer-train.js';
import { register as finetune } from './finetune.js';
import { register as evaluate } from './eval.js';
import { register as score } from './score.js';
import { register as serve } from './serve.js';

export function registerCommands(program: Command): void {
  forward(program);
  pretrain(program);
  infill(program);
  tokenize(program);
  inspect(program);
  convert(program);
  tokenizerTrain(program);
  finetune(program);
  evaluate(program);
  score(program);
  serve(program);
}
