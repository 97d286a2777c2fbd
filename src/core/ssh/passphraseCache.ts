/**
 * Passphrases of encrypted private keys, kept in this process's memory only, so a person types
 * each one once per session instead of on every reconnect. Nothing here is ever written to disk
 * or logged; `clear()` forgets everything (e.g. when the window closes or the user asks).
 */
export class PassphraseCache {
  private readonly values = new Map<string, string>();
  private readonly declined = new Set<string>();

  get(keyPath: string): string | undefined {
    return this.values.get(keyPath);
  }

  has(keyPath: string): boolean {
    return this.values.has(keyPath);
  }

  set(keyPath: string, passphrase: string): void {
    this.values.set(keyPath, passphrase);
    this.declined.delete(keyPath);
  }

  delete(keyPath: string): void {
    this.values.delete(keyPath);
    this.declined.delete(keyPath);
  }

  /**
   * Remembers that the person chose not to unlock this key, so that automatic reconnects (the
   * connection pool) do not ask again. `delete()` or `clear()` lets the next connection ask.
   */
  decline(keyPath: string): void {
    this.values.delete(keyPath);
    this.declined.add(keyPath);
  }

  isDeclined(keyPath: string): boolean {
    return this.declined.has(keyPath);
  }

  clear(): void {
    this.values.clear();
    this.declined.clear();
  }

  /** Keeps the values out of `JSON.stringify` and `util.inspect` output (logs, error details). */
  toJSON(): { size: number } {
    return { size: this.values.size };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PassphraseCache { size: ${this.values.size} }`;
  }
}
