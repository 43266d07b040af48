import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidTaskArgumentsError, InvalidTaskError, TaskResultNotFoundError, TaskScheduleNotFoundError, TasksError } from '../task.errors';

/** The JSON body of every error the dashboard answers. */
export interface DashboardErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/**
 * Errors of the dashboard's routes as JSON: the library's errors get the status that fits
 * (unknown id 404, bad input 400, a conflict 409); anything unexpected is a 500 that is logged
 * and does not leak its message.
 */
@Catch()
export class DashboardErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('TasksDashboard');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = this.describe(exception);
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, body.statusCode);
  }

  private describe(exception: unknown): DashboardErrorBody {
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return body(exception.getStatus(), Array.isArray(message) ? message.join('; ') : String(message ?? exception.message));
    }
    if (exception instanceof TaskResultNotFoundError || exception instanceof TaskScheduleNotFoundError) {
      return body(HttpStatus.NOT_FOUND, exception.message);
    }
    if (exception instanceof InvalidTaskError || exception instanceof InvalidTaskArgumentsError) {
      return body(HttpStatus.BAD_REQUEST, exception.message);
    }
    if (exception instanceof TasksError) return body(HttpStatus.CONFLICT, exception.message);
    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal error of the tasks dashboard; the server log has the details.');
  }
}

function body(statusCode: number, message: string): DashboardErrorBody {
  const error = (HttpStatus[statusCode] ?? 'ERROR').toLowerCase().split('_').map((word) => word[0].toUpperCase() + word.slice(1)).join(' ');
  return { statusCode, error, message };
}
