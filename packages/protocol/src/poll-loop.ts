/**
 * The poll timer of a cluster scheduler: one poll at a time, the next one
 * `delayMs()` after the last has ended, and none while there is nothing to
 * follow (`active()` false), so that an idle scheduler keeps no timer alive.
 * `delayMs` may grow with failed polls (backoff while the controller is down).
 */
export interface PollLoopOptions {
  /** One poll of every job; its failures are the scheduler's to count and report. */
  poll(): Promise<void>;
  /** Whether any job is still to be followed. */
  active(): boolean;
  /** Pause before the next poll. */
  delayMs(): number;
}

export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private busy = false;

  constructor(private readonly options: PollLoopOptions) {}

  /** Poll after the delay, unless a poll is already due or running (then it follows that one). */
  schedule(): void {
    if (this.stopped || this.timer || this.busy) return;
    if (!this.options.active()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.pollOnce();
    }, this.options.delayMs());
  }

  private async pollOnce(): Promise<void> {
    // Set before poll() runs: a schedule() from inside the poll waits for it to end.
    this.busy = true;
    try {
      await this.options.poll();
    } finally {
      this.busy = false;
      this.polling = undefined;
      this.schedule();
    }
  }

  /** No further poll; resolves when the one running (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }
}
