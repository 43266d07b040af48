import type { Command } from 'commander';
import type { TaskService } from '../task.service';
import type { ProgressReporter } from './progress-bar';

/** What a command prints: JSON on stdout with `--json`, else the text. */
export interface CliOutput {
  json: unknown;
  text: string;
}

export interface CliContext {
  tasks: TaskService;
  /** A progress bar on stderr for an operation over `total` items. */
  progress(label: string, total: number): ProgressReporter;
}

/**
 * One subcommand of the worker entry. `define` declares its arguments and options on the
 * commander command (`--json` and `--help` are added for every command); `run` does the work
 * inside the application and returns what to print. A new command is one file in
 * src/cli/commands and one entry in CLI_COMMANDS.
 */
export interface CliCommand {
  /** The name and arguments, as commander takes them: `show <id>`. */
  readonly usage: string;
  readonly description: string;
  define?(command: Command): void;
  run(context: CliContext, args: string[], options: Record<string, unknown>): Promise<CliOutput>;
}
