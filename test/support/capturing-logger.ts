import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  /** The stack given with an error, or the context. */
  extra: unknown[];
}

/** A LoggerService that keeps every line, for tests that check what the library logs. */
export class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'log', message: String(message), extra });
  }

  error(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'error', message: String(message), extra });
  }

  warn(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'warn', message: String(message), extra });
  }

  debug(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'debug', message: String(message), extra });
  }

  verbose(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'verbose', message: String(message), extra });
  }

  fatal(message: unknown, ...extra: unknown[]): void {
    this.lines.push({ level: 'fatal', message: String(message), extra });
  }

  /** Lines of `level` whose message matches `pattern`. */
  find(level: LogLine['level'], pattern: string | RegExp): LogLine[] {
    return this.lines.filter((line) => line.level === level
      && (typeof pattern === 'string' ? line.message.includes(pattern) : pattern.test(line.message)));
  }
}
