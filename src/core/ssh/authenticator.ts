/**
 * Authentication in OpenSSH's order: the ssh-agent, the identity files (each passphrase asked
 * once, kept in memory only), and only when allowed, password or keyboard-interactive. Unlike
 * OpenSSH, "none" (which only learns the server's methods) is sent first only when there is no
 * key to offer: the first key's answer carries the same list, a round trip earlier. Driven by
 * ssh2's `authHandler`, one method at a time.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import type {
  AnyAuthMethod,
  AuthHandlerMiddleware,
  AuthenticationType,
  BaseAgent,
  KeyboardInteractiveCallback,
  ParsedKey,
  Prompt,
} from 'ssh2';
import { CoreError, cancelledError, describeError, type ErrorDetails } from '../common/errors';
import type { Logger } from '../common/log';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import { agentClasses, agentPath } from './agents';
import type { AuthMethod, ConnectOptions } from './connectTypes';
import type { Deadline } from './deadline';
import { SignaturePolicy } from './signaturePolicy';
import { defaultIdentityFiles, readPublicKey } from './keys';
import { loadSsh2 } from './loadSsh2';
import { PassphraseCache } from './passphraseCache';
import { openPrivateKey, publicBlobOf, unprotectedKeyError } from './privateKeyFile';

const MAX_PASSWORD_ATTEMPTS = 3;
const MAX_PASSPHRASE_ATTEMPTS = 3;

type Candidate = { kind: 'agent'; path: string } | { kind: 'file'; path: string } | { kind: 'password' };

/** Raised inside a key's signer when the person skipped it; ssh2 then moves to the next key. */
class KeySkipped extends Error {}

/**
 * Drives ssh2's `authHandler` function form: it asks for the next method only when the previous
 * one failed, so passphrases and passwords are requested lazily, in OpenSSH's order, and only
 * for methods the server still accepts.
 */
export class Authenticator {
  readonly tried: string[] = [];
  succeeded: { method: AuthMethod; file?: string } | undefined;
  /** A failure that must win over a plain authFailed (cancel, passphrase wrong three times). */
  fatal: CoreError | undefined;
  /** PubkeyAcceptedAlgorithms: which keys are offered and which signatures are made. */
  private readonly signatures: SignaturePolicy;
  private passphraseFailure: CoreError | undefined;
  /** A key skipped because others may read it, named when nothing else logs in. */
  private permissionFailure: CoreError | undefined;
  private current: { method: AuthMethod; file?: string } | undefined;
  private serverMethods: string[] | undefined;
  private candidates: Candidate[] | undefined;
  private index = 0;
  private passwordAttempts = 0;
  private readonly offered = new Set<string>();
  private readonly unlocked = new Map<string, ParsedKey>();
  private readonly passphrases: PassphraseCache;
  private readonly host: EffectiveHost;
  private readonly user: string;

  constructor(
    private readonly options: ConnectOptions,
    private readonly deadline: Deadline,
    private readonly logger: Logger,
  ) {
    this.host = options.host;
    this.user = options.host.user;
    this.passphrases = options.passphrases ?? new PassphraseCache();
    this.signatures = new SignaturePolicy(options.host.pubkeyAcceptedAlgorithms);
  }

  readonly handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (this.current) {
      this.logger.debug(
        `ssh ${this.label()}: ${this.current.method}${this.current.file ? ` ${this.current.file}` : ''} not accepted`,
      );
    }
    const first = methodsLeft === null || methodsLeft === undefined;
    if (!first) {
      this.serverMethods = methodsLeft;
    }
    // OpenSSH starts with "none" to learn the server's methods. A key needs no such list (its
    // refusal brings the list), so the first key goes first, a round trip less on every login;
    // "none" comes first only when there is no key to offer (password and keyboard-interactive
    // are told apart by the list; a server that wants no authentication says so to "none").
    this.pick(first).then(
      (m) => {
        if (!m && first) {
          this.current = { method: 'none' };
          next({ type: 'none', username: this.user });
          return;
        }
        if (!m) {
          this.current = undefined;
        }
        next(m ?? (false as unknown as AuthenticationType)); // ssh2 takes `false` for "no more methods"; its types omit it
      },
      (e: unknown) => {
        this.fatal = e instanceof CoreError ? e : new CoreError('internal', describeError(e));
        this.current = undefined;
        next(false as unknown as AuthenticationType);
      },
    );
  };

  /** ssh2 asks for a next method only after a failure, so on `ready` the last one tried worked. */
  markSucceeded(): void {
    this.succeeded = this.current ?? { method: 'none' };
  }

  failure(where: ErrorDetails): CoreError {
    if (this.fatal) {
      return this.fatal;
    }
    if (this.passphraseFailure) {
      return this.passphraseFailure;
    }
    if (this.permissionFailure) {
      return this.permissionFailure;
    }
    return (
      this.signatures.failure({ ...where, user: this.user }) ??
      new CoreError('authFailed', `${this.label()} did not accept any of the authentication methods tried.`, {
        ...where,
        user: this.user,
        methodsTried: this.tried.join(', ') || 'none',
        serverMethods: (this.serverMethods ?? []).join(','),
      })
    );
  }

  private label(): string {
    return `${this.user}@${this.host.hostname}:${this.host.port}`;
  }

  private allows(method: string): boolean {
    return this.serverMethods === undefined || this.serverMethods.includes(method);
  }

  private buildCandidates(): Candidate[] {
    const out: Candidate[] = [];
    const env = this.options.env ?? process.env;
    const explicit = this.options.identityFiles;
    if (this.options.useAgent !== false) {
      const agent = agentPath(this.host.identityAgent, env);
      if (agent) {
        out.push({ kind: 'agent', path: agent });
      }
    }
    let files: string[];
    if (explicit) {
      files = explicit;
    } else if (this.host.identityFiles.length > 0) {
      files = this.host.identityFiles;
    } else if (!this.host.identitiesOnly) {
      files = defaultIdentityFiles(this.options.home ?? env.HOME ?? os.homedir());
    } else {
      files = [];
    }
    for (const f of dedupe(files)) {
      out.push({ kind: 'file', path: f });
    }
    if (this.options.allowPassword) {
      out.push({ kind: 'password' });
    }
    return out;
  }

  private identitiesOnly(): boolean {
    return this.options.identityFiles !== undefined || this.host.identitiesOnly;
  }

  /** The next method to try; with `keysOnly`, undefined at the first password candidate (left for later). */
  private async pick(keysOnly = false): Promise<AnyAuthMethod | undefined> {
    this.candidates ??= this.buildCandidates();
    while (this.index < this.candidates.length) {
      const c = this.candidates[this.index];
      if (c.kind === 'password') {
        if (keysOnly) {
          return undefined;
        }
        const m = await this.nextPassword();
        if (m) {
          return m;
        }
        this.index++;
        continue;
      }
      this.index++;
      if (!this.allows('publickey')) {
        continue;
      }
      if (c.kind === 'agent') {
        const agent = await this.systemAgent(c.path);
        if (agent) {
          this.current = { method: 'agent' };
          this.tried.push('publickey (ssh-agent)');
          this.logger.debug(`ssh ${this.label()}: trying the ssh-agent`);
          return { type: 'agent', username: this.user, agent };
        }
        continue;
      }
      const agent = await this.fileAgent(c.path);
      if (agent) {
        this.current = { method: 'publickey', file: c.path };
        this.tried.push(`publickey (${c.path})`);
        this.logger.debug(`ssh ${this.label()}: trying key ${c.path}`);
        return { type: 'agent', username: this.user, agent };
      }
    }
    return undefined;
  }

  private async nextPassword(): Promise<AnyAuthMethod | undefined> {
    const usePassword = this.allows('password');
    const useKeyboard = this.allows('keyboard-interactive');
    if ((!usePassword && !useKeyboard) || this.passwordAttempts >= MAX_PASSWORD_ATTEMPTS) {
      return undefined;
    }
    const prompts = this.options.prompts;
    if (!prompts?.password) {
      return undefined;
    }
    this.passwordAttempts++;
    const attempt = this.passwordAttempts;
    const resume = this.deadline.pause();
    let password: string | undefined;
    try {
      password = await prompts.password({ user: this.user, host: this.host.hostname, port: this.host.port, attempt });
    } finally {
      resume();
    }
    if (password === undefined) {
      throw cancelledError();
    }
    if (usePassword) {
      this.current = { method: 'password' };
      this.tried.push('password');
      return { type: 'password', username: this.user, password };
    }
    this.current = { method: 'keyboard-interactive' };
    this.tried.push('keyboard-interactive');
    let rounds = 0;
    const secret = password;
    return {
      type: 'keyboard-interactive',
      username: this.user,
      prompt: (
        _name: string,
        _instructions: string,
        _lang: string,
        prompts: Prompt[],
        finish: KeyboardInteractiveCallback,
      ) => {
        rounds++;
        // One round: the password answers every hidden prompt. A second round (a one-time
        // code, a changed-password dialog) is answered empty so it fails instead of looping.
        finish(prompts.map((p) => (rounds === 1 && !p.echo ? secret : '')));
      },
    };
  }

  private async systemAgent(socketPath: string): Promise<BaseAgent | undefined> {
    let inner: BaseAgent;
    try {
      inner = loadSsh2().createAgent(socketPath);
    } catch (e) {
      this.logger.debug(`ssh ${this.label()}: ssh-agent ${socketPath} unusable: ${describeError(e)}`);
      return undefined;
    }
    let allowed: Set<string> | undefined;
    if (this.identitiesOnly()) {
      // IdentitiesOnly: the agent may sign only for the configured identities (OpenSSH does the same).
      allowed = new Set<string>();
      for (const f of this.fileList()) {
        const blob = await publicBlobOf(f);
        if (blob) {
          allowed.add(blob.toString('base64'));
        }
      }
      if (allowed.size === 0) {
        return undefined;
      }
    }
    return new (agentClasses().FilteringAgent)(inner, allowed, this.offered, this.signatures);
  }

  private fileList(): string[] {
    return (this.candidates ?? [])
      .filter((c): c is { kind: 'file'; path: string } => c.kind === 'file')
      .map((c) => c.path);
  }

  private async fileAgent(file: string): Promise<BaseAgent | undefined> {
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) {
        return undefined;
      }
      const unprotected = unprotectedKeyError(file, st, this.host);
      if (unprotected) {
        this.logger.warn(`ssh ${this.label()}: skipping ${file}: ${unprotected.message}`);
        this.permissionFailure ??= unprotected;
        return undefined;
      }
    } catch {
      return undefined; // OpenSSH skips identity files that do not exist
    }
    let publicLine: string;
    try {
      publicLine = await readPublicKey(file);
    } catch (e) {
      if (CoreError.is(e, 'keyPassphraseRequired')) {
        // A legacy encrypted PEM key without its .pub: only the passphrase reveals the public half.
        try {
          const key = await this.unlock(file);
          publicLine = `${key.type} ${key.getPublicSSH().toString('base64')}`;
        } catch (inner) {
          if (inner instanceof KeySkipped) {
            return undefined;
          }
          throw inner;
        }
      } else {
        this.logger.warn(`ssh ${this.label()}: skipping ${file}: ${describeError(e)}`);
        return undefined;
      }
    }
    const parsed = loadSsh2().utils.parseKey(publicLine);
    if (parsed instanceof Error || Array.isArray(parsed)) {
      this.logger.warn(`ssh ${this.label()}: skipping ${file}: unreadable public key`);
      return undefined;
    }
    const blob = parsed.getPublicSSH().toString('base64');
    if (this.offered.has(blob)) {
      return undefined; // the ssh-agent already offered this key and the server refused it
    }
    this.offered.add(blob);
    return new (agentClasses().KeyFileAgent)(publicLine, () => this.unlock(file), this.signatures);
  }

  /**
   * The private key, decrypted with the cached passphrase or one the person types (up to three
   * tries). A skipped key raises KeySkipped; three wrong passphrases are remembered so the final
   * error says so instead of a bare authFailed.
   */
  private async unlock(file: string): Promise<ParsedKey> {
    const done = this.unlocked.get(file);
    if (done) {
      return done; // ssh2 may sign twice (rsa-sha2-512, then -256)
    }
    const key = await this.unlockFresh(file);
    this.unlocked.set(file, key);
    return key;
  }

  private async unlockFresh(file: string): Promise<ParsedKey> {
    const cached = this.passphrases.get(file);
    try {
      return await openPrivateKey(file, cached);
    } catch (e) {
      if (CoreError.is(e, 'keyPassphraseWrong') && cached !== undefined) {
        this.passphrases.delete(file); // the key was re-encrypted since
      } else if (!CoreError.is(e, 'keyPassphraseRequired', 'keyPassphraseWrong')) {
        this.logger.warn(`ssh ${this.label()}: skipping ${file}: ${describeError(e)}`);
        throw new KeySkipped();
      }
    }
    const prompts = this.options.prompts;
    if (!prompts?.passphrase || this.passphrases.isDeclined(file)) {
      throw new KeySkipped();
    }
    for (let attempt = 1; attempt <= MAX_PASSPHRASE_ATTEMPTS; attempt++) {
      const resume = this.deadline.pause();
      let passphrase: string | undefined;
      try {
        passphrase = await prompts.passphrase({ keyPath: file, attempt });
      } finally {
        resume();
      }
      if (passphrase === undefined) {
        this.passphrases.decline(file);
        throw new KeySkipped();
      }
      try {
        const key = await openPrivateKey(file, passphrase);
        this.passphrases.set(file, passphrase);
        return key;
      } catch (e) {
        if (!CoreError.is(e, 'keyPassphraseWrong')) {
          throw new KeySkipped();
        }
        this.logger.info(`ssh ${this.label()}: wrong passphrase for ${file} (attempt ${attempt})`);
      }
    }
    this.passphraseFailure = new CoreError(
      'keyPassphraseWrong',
      `The passphrase for ${file} was wrong ${MAX_PASSPHRASE_ATTEMPTS} times.`,
      {
        file,
        host: this.host.hostname,
        port: this.host.port,
      },
    );
    throw new KeySkipped();
  }
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
