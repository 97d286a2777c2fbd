/**
 * The core logs through this interface; the edge backs it with a LogOutputChannel and tests
 * with a buffer. Never pass passwords, passphrases or private key material to it.
 */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const nullLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that remembers lines, for tests that check what would reach the output channel. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  trace(message: string, ...args: unknown[]): void {
    this.push('trace', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.push('debug', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.push('info', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.push('warn', message, args);
  }
  error(message: string | Error, ...args: unknown[]): void {
    this.push('error', message instanceof Error ? message.message : message, args);
  }
  private push(level: string, message: string, args: unknown[]): void {
    const extra = args.length ? ' ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : '';
    this.lines.push(`[${level}] ${message}${extra}`);
  }
}
