import type { LoggerService } from '@nestjs/common';

/**
 * Warnings and errors of the application, on stderr: a command's stdout carries only its output
 * (JSON with `--json`). The application's ordinary start-up lines are not a command's business.
 */
export class StderrLogger implements LoggerService {
  log(): void {}

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('WARN', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('ERROR', message, rest);
  }

  private write(level: string, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? ` [${String(rest[rest.length - 1])}]` : '';
    const text = message instanceof Error ? message.stack ?? message.message : String(message);
    process.stderr.write(`${level}${context} ${text}\n`);
  }
}
