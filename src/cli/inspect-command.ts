/** `glm inspect DIR`: config, parameter count, dtype, tokenizer and memory needs of a checkpoint. */
import type { Command } from 'commander';
import { formatInspect, inspectCheckpoint } from './inspect.js';
import { resolveModel } from '../hub/resolve.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('describe a checkpoint (any layout glm-ts reads) without loading its weights')
    .argument('<path>', 'checkpoint folder or file, or a Hub name OWNER/NAME[@REVISION]')
    .option('--json', 'print JSON instead of text')
    .option('--allow-global <names...>', 'pickle globals to record as inert data (never called)')
    .action(async (name: string, o: { json?: boolean; allowGlobal?: string[] }) => {
      const p = await resolveModel(name);
      const r = inspectCheckpoint(p, o.allowGlobal ? { inertGlobals: o.allowGlobal } : {});
      process.stdout.write(o.json ? JSON.stringify(r) + '\n' : formatInspect(r));
    });
}
