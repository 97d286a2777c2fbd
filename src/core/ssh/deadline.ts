/**
 * The per-hop deadline of a connection attempt. It pauses while a person answers a prompt
 * (host key, passphrase, password), so a slow human is never reported as a timeout.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private pauses = 0;
  private running = false;
  private done = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
  }

  get limitMs(): number {
    return this.ms;
  }

  start(): void {
    if (this.running || this.done) {
      return;
    }
    this.running = true;
    if (this.pauses === 0) {
      this.arm();
    }
  }

  pause(): () => void {
    this.pauses++;
    if (this.pauses === 1 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining -= Date.now() - this.startedAt;
    }
    let resumed = false;
    return () => {
      if (resumed) {
        return;
      }
      resumed = true;
      this.pauses--;
      if (this.pauses === 0 && this.running && !this.done) {
        this.arm();
      }
    };
  }

  clear(): void {
    this.done = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(
      () => {
        this.done = true;
        this.onExpire();
      },
      Math.max(0, this.remaining),
    );
  }
}
