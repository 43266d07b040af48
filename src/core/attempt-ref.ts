/** One attempt of one task: what fences every write of a worker (with its id and the RUNNING status). */
export interface AttemptRef {
  readonly id: string;
  /** 1-based. */
  readonly attempt: number;
}

/** A key for maps and sets of attempts; never parsed back. */
export function attemptKey(ref: AttemptRef): string {
  return `${ref.id}:${ref.attempt}`;
}
