/**
 * The list of `glm` subcommands. Each command lives in its own file and exports
 * `register(program)`; adding a command is one import and one line here.
 */
import type { Command } from 'commander';
import { register as forward } from './forward-command.js';

export function registerCommands(program: Command): void {
  forward(program);
}
