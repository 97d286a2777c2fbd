/**
 * A VS Code terminal showing one compose command running on the remote: its pty output streams in,
 * keys go out (Ctrl-C is `\x03` for the remote pty, plus an INT signal request), resizes follow,
 * and closing the terminal closes the channel (and so ends the command).
 */
import * as vscode from 'vscode';
import type { ClientChannel } from 'ssh2';
import type { SshLease } from '../../core/engine/enginePool';
import { openPtyCommand } from '../../core/sync/remoteCompose';
import { errorSentence } from '../base/errorMessages';
import type { OutputChannelLogger } from '../base/logging';

export class ComposeTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private channel: ClientChannel | undefined;
  private closed = false;
  private released = false;

  constructor(
    private readonly lease: SshLease,
    private readonly command: string,
    private readonly banner: string,
    private readonly logger: OutputChannelLogger,
  ) {}

  /** The lease is held for the terminal's life and given back exactly once. */
  private release(): void {
    if (!this.released) {
      this.released = true;
      this.lease.release();
    }
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    this.writeEmitter.fire(`\x1b[2m${this.banner}\x1b[0m\r\n`);
    void this.start(dims);
  }

  private async start(dims: vscode.TerminalDimensions | undefined): Promise<void> {
    try {
      const ch = await openPtyCommand(this.lease.client, this.command, {
        cols: dims?.columns ?? 120,
        rows: dims?.rows ?? 30,
      });
      if (this.closed) {
        ch.close();
        return;
      }
      this.channel = ch;
      let code: number | undefined;
      ch.on('data', (d: Buffer) => this.writeEmitter.fire(d.toString('utf8')));
      ch.stderr.on('data', (d: Buffer) => this.writeEmitter.fire(d.toString('utf8')));
      ch.on('exit', (c: unknown) => (code = typeof c === 'number' ? c : undefined));
      ch.on('close', () => {
        this.channel = undefined;
        this.release();
        this.logger.info(`Compose command ended (exit ${code ?? '?'}): ${this.command}`);
        this.writeEmitter.fire(
          `\r\n\x1b[2m${vscode.l10n.t('[The command ended with exit code {0}. Close this terminal when done.]', code ?? '?')}\x1b[0m\r\n`,
        );
      });
    } catch (e) {
      this.release();
      this.writeEmitter.fire(`\r\n${errorSentence(e)}\r\n`);
    }
  }

  handleInput(data: string): void {
    const ch = this.channel;
    if (!ch) {
      return;
    }
    ch.write(data);
    if (data === '\x03') {
      try {
        ch.signal('INT');
      } catch {
        // the server may not take signal requests; the pty's ^C already interrupts
      }
    }
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    this.channel?.setWindow(dims.rows, dims.columns, 0, 0);
  }

  close(): void {
    this.closed = true;
    if (this.channel) {
      this.channel.close();
    } else {
      this.release();
    }
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
