import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, CommanderError } from 'commander';
import { InvalidTaskError } from '../task.errors';
import { TaskService } from '../task.service';
import type { CliCommand } from './cli-command';
import { CLI_COMMANDS } from './cli-commands';
import { CliUsageError } from './cli-options';
import { progressBar } from './progress-bar';
import { StderrLogger } from './stderr.logger';

/** Exit codes: the command did what it was asked, it could not, or it was asked wrongly. */
export const CLI_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Selected {
  command: CliCommand;
  args: string[];
  options: Record<string, unknown>;
}

/**
 * Runs subcommand `argv[0]` of the worker entry inside `module`'s application and returns the
 * exit code. `--help` of a command prints its usage (0); a bad flag or argument prints the
 * problem (2); before any of that, nothing starts.
 */
export async function runCli(module: Type<unknown> | DynamicModule, argv: string[]): Promise<number> {
  let selected: Selected | undefined;
  const program = new Command()
    .name(process.argv[1] ? process.argv[1].split(/[\\/]/).pop()! : 'worker')
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) });
  for (const command of CLI_COMMANDS) {
    const sub = program.command(command.usage).description(command.description).exitOverride()
      .option('--json', 'print JSON on stdout (logs go to stderr)');
    command.define?.(sub);
    sub.action(function (this: Command) {
      selected = { command, args: this.processedArgs as string[], options: this.opts() };
    });
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' ? CLI_EXIT.ok : CLI_EXIT.usage;
    throw error;
  }
  if (!selected) return CLI_EXIT.usage;
  return execute(module, selected);
}

async function execute(module: Type<unknown> | DynamicModule, { command, args, options }: Selected): Promise<number> {
  let app;
  try {
    app = await NestFactory.createApplicationContext(module, { logger: new StderrLogger() });
  } catch (error) {
    process.stderr.write(`The application could not start: ${(error as Error).stack ?? error}\n`);
    return CLI_EXIT.failed;
  }
  try {
    const output = await command.run({ tasks: app.get(TaskService), progress: (label, total) => progressBar(label, total) }, args, options);
    process.stdout.write(options.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return CLI_EXIT.ok;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return error instanceof CliUsageError || error instanceof InvalidTaskError ? CLI_EXIT.usage : CLI_EXIT.failed;
  } finally {
    await app.close();
  }
}
