/** `glm inspect DIR`: config, parameter count, dtype, tokenizer and memory needs of a checkpoint. */
import type { Command } from 'commander';
import { formatInspect, inspectCheckpoint } from './inspect.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('describe a checkpoint (any layout glm-ts reads) without loading its weights')
    .argument('<path>', 'checkpoint folder or file')
    .option('--json', 'print JSON instead of text')
    .option('--allow-global <names...>', 'pickle globals to record as inert data (never called)')
    .action((p: string, o: { json?: boolean; allowGlobal?: string[] }) => {
      const r = inspectCheckpoint(p, o.allowGlobal ? { inertGlobals: o.allowGlobal } : {});
      process.stdout.write(o.json ? JSON.stringify(r) + '\n' : formatInspect(r));
    });
}
