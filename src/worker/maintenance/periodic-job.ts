/**
 * Runs `job` at once and then about every `intervalMs` until stopped, never overlapping itself.
 * Each delay is drawn within ±25 % so that many workers do not run the job in lockstep.
 */
export class PeriodicJob {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly job: () => Promise<unknown>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.running = true;
    const tick = async () => {
      await this.job();
      if (this.running) this.timer = setTimeout(tick, this.intervalMs * (0.75 + Math.random() * 0.5));
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** False once stopped: a job working in several steps checks it between them. */
  get active(): boolean {
    return this.running;
  }
}
