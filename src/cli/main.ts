#!/usr/bin/env node
/**
 * The `glm` command line. Each subcommand is thin: parse flags, call the library, print.
 * Errors from bad input (GlmError) print one clear line and exit with status 2.
 */
import { Command, Option } from 'commander';
import { GlmError } from '../util/errors.js';
import { backendNames, setBackend, type BackendName } from '../backend/index.js';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('glm')
  .description('GLM (General Language Model, autoregressive blank infilling) in TypeScript')
  .addOption(new Option('--backend <name>', 'compute backend').choices(backendNames()))
  .hook('preAction', (cmd) => {
    const b = cmd.opts()['backend'] as BackendName | undefined;
    if (b) setBackend(b);
  });
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof GlmError) {
    process.stderr.write(`glm: error: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
