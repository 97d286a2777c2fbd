/**
 * The agents authentication signs with: the user's ssh-agent (filtered for IdentitiesOnly) and
 * an identity file presented through the same agent interface, so its passphrase is asked only
 * once the server accepts the public key.
 */
import type { BaseAgent, IdentityCallback, ParsedKey, SignCallback, SigningRequestOptions } from 'ssh2';
import { loadSsh2 } from './loadSsh2';
import type { SignaturePolicy } from './signaturePolicy';

const WINDOWS_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

/**
 * Which agent to ask: `IdentityAgent` (`none` disables it, `SSH_AUTH_SOCK` or `$VAR` name an
 * environment variable), else SSH_AUTH_SOCK, else on Windows the OpenSSH agent's named pipe.
 */
export function agentPath(
  identityAgent: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (identityAgent !== undefined && identityAgent !== '') {
    if (identityAgent.toLowerCase() === 'none') {
      return undefined;
    }
    if (identityAgent === 'SSH_AUTH_SOCK') {
      return env.SSH_AUTH_SOCK || undefined;
    }
    if (identityAgent.startsWith('$')) {
      return env[identityAgent.slice(1).replace(/^\{|\}$/g, '')] || undefined;
    }
    return identityAgent;
  }
  if (env.SSH_AUTH_SOCK) {
    return env.SSH_AUTH_SOCK;
  }
  return platform === 'win32' ? WINDOWS_AGENT_PIPE : undefined;
}

interface AgentClasses {
  FilteringAgent: new (
    inner: BaseAgent,
    allowed: Set<string> | undefined,
    offered: Set<string>,
    policy: SignaturePolicy,
  ) => BaseAgent;
  KeyFileAgent: new (publicLine: string, unlock: () => Promise<ParsedKey>, policy: SignaturePolicy) => BaseAgent;
}

let agentClassesCache: AgentClasses | undefined;

/**
 * ssh2 accepts only instances of its own BaseAgent, so these subclasses are defined when ssh2 is
 * first loaded (see loadSsh2), once.
 */
export function agentClasses(): AgentClasses {
  // Both classes must be declared in here, after ssh2 is loaded, so the function is as long as they are.
  if (agentClassesCache) {
    return agentClassesCache;
  }
  const ssh2 = loadSsh2();
  /** The real agent, limited to allowed keys and recording what it offered (to skip duplicate files). */
  class FilteringAgent extends ssh2.BaseAgent {
    constructor(
      private readonly inner: BaseAgent,
      private readonly allowed: Set<string> | undefined,
      private readonly offered: Set<string>,
      private readonly policy: SignaturePolicy,
    ) {
      super();
    }

    getIdentities(cb: IdentityCallback): void {
      this.inner.getIdentities((err, keys) => {
        if (err || !keys) {
          cb(err ?? new Error('The ssh-agent returned no keys'));
          return;
        }
        const out: (string | Buffer | ParsedKey)[] = [];
        for (const k of keys) {
          // OpenSSHAgent yields parsed keys; the entry form with options is for agent servers.
          if (typeof k !== 'string' && !Buffer.isBuffer(k) && !('getPublicSSH' in k)) {
            continue;
          }
          const parsed = ssh2.utils.parseKey(k);
          if (parsed instanceof Error || Array.isArray(parsed)) {
            continue;
          }
          const blob = parsed.getPublicSSH().toString('base64');
          if ((this.allowed && !this.allowed.has(blob)) || !this.policy.offers(parsed.type)) {
            continue;
          }
          this.offered.add(blob);
          out.push(k);
        }
        cb(undefined, out);
      });
    }

    sign(
      pubKey: string | Buffer | ParsedKey,
      data: Buffer,
      options: SigningRequestOptions | SignCallback,
      cb?: SignCallback,
    ): void {
      const done = typeof options === 'function' ? options : cb;
      const parsed = ssh2.utils.parseKey(pubKey);
      const type = parsed instanceof Error || Array.isArray(parsed) ? '' : parsed.type;
      if (done && !this.policy.signs(type, typeof options === 'function' ? undefined : options?.hash)) {
        done(new Error(`PubkeyAcceptedAlgorithms does not allow this signature of a ${type} key`));
        return;
      }
      if (typeof options === 'function') {
        this.inner.sign(pubKey, data, options);
      } else {
        this.inner.sign(pubKey, data, options, cb);
      }
    }
  }

  /**
   * An identity file presented through ssh2's agent interface: the server is first asked whether
   * it accepts the public key, and only then is the private key decrypted (asking for the
   * passphrase if needed), as OpenSSH does. ssh2's plain publickey method would need the
   * passphrase before knowing whether the key is of any use.
   */
  class KeyFileAgent extends ssh2.BaseAgent {
    constructor(
      private readonly publicLine: string,
      private readonly unlock: () => Promise<ParsedKey>,
      private readonly policy: SignaturePolicy,
    ) {
      super();
    }

    private get type(): string {
      return this.publicLine.split(' ')[0];
    }

    getIdentities(cb: IdentityCallback): void {
      cb(undefined, this.policy.offers(this.type) ? [this.publicLine] : []);
    }

    sign(
      _pubKey: string | Buffer | ParsedKey,
      data: Buffer,
      options: SigningRequestOptions | SignCallback,
      cb?: SignCallback,
    ): void {
      const done = typeof options === 'function' ? options : cb;
      const hash = typeof options === 'function' ? undefined : options?.hash;
      if (!done) {
        return;
      }
      if (!this.policy.signs(this.type, hash)) {
        done(new Error(`PubkeyAcceptedAlgorithms does not allow this signature of a ${this.type} key`));
        return;
      }
      this.unlock().then(
        (key) => {
          const sig = key.sign(data, hash) as Buffer | Error;
          if (sig instanceof Error) {
            done(sig);
          } else {
            done(undefined, sig);
          }
        },
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
    }
  }

  agentClassesCache = { FilteringAgent, KeyFileAgent };
  return agentClassesCache;
}
