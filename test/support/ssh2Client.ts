/**
 * Small ssh2 helpers for tests that need to act as a client of the test sshd without the code
 * under test: log in (password, key or keyboard-interactive), run a command, reach the daemon
 * socket through direct-streamlocal.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';

export interface LoginOptions {
  port: number;
  username: string;
  /** Expected host key (`ssh-ed25519 AAAA...`); any other key fails the handshake. */
  hostKeyPub: string;
  password?: string;
  privateKey?: string | Buffer;
  /** Answers keyboard-interactive prompts; also turns on `tryKeyboard`. Receives the prompts. */
  onKeyboard?: (prompts: string[]) => string[];
  /** Only these methods, in this order (e.g. ['keyboard-interactive']). */
  methods?: Array<'password' | 'publickey' | 'keyboard-interactive' | 'none'>;
  readyTimeoutMs?: number;
}

/** Connects and authenticates; rejects with ssh2's error (level `client-authentication`, `client-timeout`, ...). */
export function ssh2Login(o: LoginOptions): Promise<Client> {
  const expected = o.hostKeyPub.split(/\s+/)[1];
  return new Promise((resolve, reject) => {
    const c = new Client();
    const config: ConnectConfig = {
      host: '127.0.0.1',
      port: o.port,
      username: o.username,
      readyTimeout: o.readyTimeoutMs ?? 30_000,
      hostVerifier: (key: Buffer) => key.toString('base64') === expected,
      algorithms: { serverHostKey: ['ssh-ed25519'] },
    };
    if (o.password !== undefined) {
      config.password = o.password;
    }
    if (o.privateKey !== undefined) {
      config.privateKey = o.privateKey;
    }
    if (o.onKeyboard) {
      config.tryKeyboard = true;
      const answer = o.onKeyboard;
      c.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) =>
        finish(answer(prompts.map((p) => p.prompt))),
      );
    }
    if (o.methods) {
      const queue = [...o.methods];
      // ssh2's authHandler: hand out the next method with its credentials, false when done.
      config.authHandler = (_left, _partial, next) => {
        const m = queue.shift();
        if (!m) {
          return next(false as never);
        }
        if (m === 'password') {
          return next({ type: 'password', username: o.username, password: o.password ?? '' });
        }
        if (m === 'publickey') {
          return next({ type: 'publickey', username: o.username, key: o.privateKey ?? '' });
        }
        if (m === 'keyboard-interactive') {
          const answer = o.onKeyboard ?? (() => []);
          return next({
            type: 'keyboard-interactive',
            username: o.username,
            prompt: (_n, _i, _l, prompts, finish) => finish(answer(prompts.map((p) => p.prompt))),
          });
        }
        return next({ type: 'none', username: o.username });
      };
    }
    c.once('ready', () => resolve(c));
    // Later errors (the socket closing after a timeout) must not become uncaught exceptions.
    c.on('error', (e) => {
      c.end();
      reject(e);
    });
    c.connect(config);
  });
}

/** Runs a command over an open connection; resolves with its exit code and output. */
export function ssh2Exec(c: Client, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) {
        reject(err);
        return;
      }
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('exit', (c2: number | null) => (code = c2));
      stream.on('close', () => resolve({ code, stdout, stderr }));
    });
  });
}

/** Opens a direct-streamlocal channel to a unix socket on the server (the docker socket). */
export function ssh2StreamLocal(c: Client, socketPath: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    c.openssh_forwardOutStreamLocal(socketPath, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** `GET path` to the Engine API over a direct-streamlocal channel. */
export async function engineGetOverSsh(
  c: Client,
  socketPath: string,
  urlPath: string,
): Promise<{ status: number; body: string }> {
  const stream = await ssh2StreamLocal(c, socketPath);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { createConnection: () => stream, path: urlPath, method: 'GET', headers: { Host: 'docker' } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
