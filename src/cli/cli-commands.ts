import type { CliCommand } from './cli-command';
import { statusCommand } from './commands/status.command';
import { listCommand } from './commands/list.command';
import { showCommand } from './commands/show.command';
import { retryCommand } from './commands/retry.command';
import { runNowCommand } from './commands/run-now.command';
import { cancelCommand } from './commands/cancel.command';
import { pruneCommand } from './commands/prune.command';
import { schedulesCommand } from './commands/schedules.command';
import { workersCommand } from './commands/workers.command';
import { pauseCommand, resumeCommand } from './commands/queue-pause.command';

/** The subcommands of the worker entry, in the order `--help` lists them. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  statusCommand, listCommand, showCommand, retryCommand, runNowCommand, cancelCommand, pruneCommand, schedulesCommand, pauseCommand, resumeCommand, workersCommand,
];

/** The commands, one a line, for the worker entry's `--help`. */
export function commandsHelp(): string {
  const lines = CLI_COMMANDS.map((command) => `  ${command.usage.padEnd(22)}  ${command.description}`);
  return `Commands (each takes --json, JSON on stdout and logs on stderr, and --help):\n${lines.join('\n')}`;
}

/** The first word of a command line that names a subcommand (anything else runs the worker). */
export function cliCommandName(argv: readonly string[]): string | null {
  const first = argv[0];
  if (first === undefined) return null;
  return CLI_COMMANDS.some((command) => command.usage.split(' ')[0] === first) ? first : null;
}
