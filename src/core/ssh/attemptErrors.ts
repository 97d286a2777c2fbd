/**
 * What a failed connection attempt means, judged by how far it got: no TCP, no greeting, a
 * greeting that is not SSH, a key exchange that stalls, authentication that fails. The details
 * are facts (host, port, stage, the greeting's first line); the UI words them.
 */
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import type { Authenticator } from './authenticator';
import { socketError } from './socketErrors';

const GREETING_CAPTURE_BYTES = 512;

/** How far an attempt got, recorded as it goes. */
export class AttemptProgress {
  /** known_hosts was read (the first step, inside the deadline). */
  knownHostsRead = false;
  tcpConnected = false;
  greetingBytes: Buffer = Buffer.alloc(0);
  sawIdent = false;
  handshakeDone = false;

  /** Records the server's first bytes; true once they hold the identification line or enough to judge. */
  captureGreeting(d: Buffer): boolean {
    if (this.greetingBytes.length < GREETING_CAPTURE_BYTES) {
      this.greetingBytes = Buffer.concat([this.greetingBytes, d]).subarray(0, GREETING_CAPTURE_BYTES);
      if (!this.sawIdent && hasIdentLine(this.greetingBytes)) {
        this.sawIdent = true;
      }
    }
    return this.sawIdent || this.greetingBytes.length >= GREETING_CAPTURE_BYTES;
  }

  greetingLine(): string {
    return printable(this.greetingBytes);
  }
}

/** The deadline passed: which stage was still waiting. */
export function attemptTimeoutError(
  progress: AttemptProgress,
  where: ErrorDetails,
  timeoutMs: number,
  auth: Authenticator | undefined,
  knownHostsFiles = '',
): CoreError {
  const d = { ...where, timeoutMs };
  const target = `${String(where.host)}:${String(where.port)}`;
  if (!progress.knownHostsRead) {
    return new CoreError('timeout', `Reading known_hosts (${knownHostsFiles}) did not finish within ${timeoutMs} ms.`, {
      ...d,
      stage: 'knownHosts',
      files: knownHostsFiles,
    });
  }
  if (!progress.tcpConnected) {
    return new CoreError('timeout', `No TCP connection to ${target} within ${timeoutMs} ms.`, { ...d, stage: 'tcp' });
  }
  if (progress.greetingBytes.length === 0) {
    return new CoreError(
      'timeout',
      `${target} accepted the TCP connection but sent no SSH greeting within ${timeoutMs} ms.`,
      { ...d, stage: 'greeting', detail: 'noGreeting' },
    );
  }
  if (!progress.sawIdent) {
    return notSshError(progress, where);
  }
  if (!progress.handshakeDone) {
    return new CoreError('timeout', `The SSH key exchange with ${target} did not finish within ${timeoutMs} ms.`, {
      ...d,
      stage: 'hostKey',
    });
  }
  return new CoreError('timeout', `Authentication at ${target} did not finish within ${timeoutMs} ms.`, {
    ...d,
    stage: 'auth',
    methodsTried: auth?.tried.join(', '),
  });
}

function notSshError(progress: AttemptProgress, where: ErrorDetails): CoreError {
  return new CoreError('notSsh', `${String(where.host)}:${String(where.port)} is not an SSH server.`, {
    ...where,
    greeting: progress.greetingLine(),
  });
}

/** Classifies an ssh2 error (or close) before `ready`; a host key or authentication verdict wins. */
export function attemptError(
  err: Error & { level?: string },
  progress: AttemptProgress,
  where: ErrorDetails,
  hostKeyFailure: CoreError | undefined,
  auth: Authenticator | undefined,
): CoreError {
  if (hostKeyFailure) {
    return hostKeyFailure;
  }
  if (auth?.fatal) {
    return auth.fatal;
  }
  const message = describeError(err);
  const target = `${String(where.host)}:${String(where.port)}`;
  if (err.level === 'client-socket') {
    return socketError(err, where);
  }
  if (!progress.sawIdent) {
    if (progress.greetingBytes.length > 0) {
      return notSshError(progress, where);
    }
    return new CoreError('connectionLost', `${target} closed the connection before sending an SSH greeting.`, {
      ...where,
      stage: 'greeting',
      message,
    });
  }
  if (err.level === 'client-authentication' || (progress.handshakeDone && /authentication/i.test(message))) {
    return auth ? auth.failure(where) : new CoreError('authFailed', 'Authentication failed.', where);
  }
  if (/protocol version not supported|invalid identification/i.test(message)) {
    return new CoreError('sshProtocolError', `${target} speaks an SSH version this client does not support.`, {
      ...where,
      greeting: progress.greetingLine(),
      message,
    });
  }
  const noMatch = /no matching (.+)$/.exec(message);
  if (!progress.handshakeDone && noMatch) {
    // What the configuration allows (HostKeyAlgorithms…, OpenSSH's defaults) and the server share nothing.
    return new CoreError('sshProtocolError', `${target} and this client share no ${noMatch[1]}.`, {
      ...where,
      stage: 'hostKey',
      detail: 'noCommonAlgorithm',
      kind: noMatch[1],
      message,
    });
  }
  if (!progress.handshakeDone) {
    return new CoreError('sshProtocolError', `The SSH key exchange with ${target} failed: ${message}`, {
      ...where,
      stage: 'hostKey',
      message,
    });
  }
  return new CoreError('connectionLost', `The SSH connection to ${target} was lost during authentication.`, {
    ...where,
    stage: 'auth',
    message,
  });
}

function hasIdentLine(data: Buffer): boolean {
  const text = data.toString('latin1');
  return /(^|\n)SSH-[^\r\n]*\r?\n/.test(text);
}

function printable(data: Buffer): string {
  return data
    .toString('latin1')
    .split(/\r?\n/)[0]
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 80);
}
