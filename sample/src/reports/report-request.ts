import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Body of `POST /reports`. */
export interface ReportRequest {
  name: string;
  rows: number;
}

export const MAX_ROWS = 50_000;

/** Checks the body of `POST /reports` by hand (no class-validator): 400 with every problem found. */
@Injectable()
export class ReportRequestPipe implements PipeTransform<unknown, ReportRequest> {
  transform(body: unknown): ReportRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException(['The body must be a JSON object like {"name": "Q3 sales", "rows": 1000}.']);
    }
    const { name, rows } = body as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) {
      problems.push('name must be a non-empty string of at most 100 characters.');
    }
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS) {
      problems.push(`rows must be an integer from 1 to ${MAX_ROWS}.`);
    }
    if (problems.length > 0) throw new BadRequestException(problems);
    // Only the known fields go into the task's arguments.
    return { name: (name as string).trim(), rows: rows as number };
  }
}
