/**
 * A private dockerd that also listens on TCP on 127.0.0.1 (plain, or with `--tlsverify` and
 * certificates made by openssl), for tcp:// Docker contexts. The unix-only daemon of
 * `dockerd.ts` cannot add a listener (its `hosts` are flags, and dockerd refuses hosts given
 * both as flags and in daemon.json), hence this small variant with the same private paths,
 * cleanup registration and stop-by-pid.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/exec';
import { register, registerProcess } from './cleanup';
import { ping } from './dockerd';
import { freePort } from './ports';
import { familyOf, isAlive, removeTreeSync, sleep, terminate } from './processes';
import { requireRoot } from './requireRoot';

export interface TlsFiles {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the daemon. */
  otherCaCert: string;
  remove(): void;
}

/** CA, server certificate for IP 127.0.0.1 and a client certificate, made by openssl. */
export async function makeTlsFiles(): Promise<TlsFiles> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-tls-'));
  const release = register({ kind: 'dir', path: dir });
  const f = (name: string): string => path.join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    const r = await runProcess('openssl', args, { timeoutMs: 60_000, cwd: dir });
    if (r.code !== 0) {
      throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
    }
  };
  const ca = async (name: string): Promise<void> => {
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=${name}`]);
  };
  await ca('ca');
  await ca('other-ca');
  const leaf = async (name: string, cn: string, ext: string): Promise<void> => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f(`${name}-cert.pem`), '-days', '2', '-extfile', f(`${name}.ext`)]);
  };
  await leaf('server', '127.0.0.1', 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await leaf('client', 'client', 'extendedKeyUsage = clientAuth\n');
  return {
    dir,
    caCert: f('ca.pem'),
    serverCert: f('server-cert.pem'),
    serverKey: f('server-key.pem'),
    clientCert: f('client-cert.pem'),
    clientKey: f('client-key.pem'),
    otherCaCert: f('other-ca.pem'),
    remove: () => {
      removeTreeSync(dir);
      release();
    },
  };
}

export interface TcpDockerd {
  socket: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startDockerdTcp(options: { tls?: TlsFiles; startTimeoutMs?: number } = {}): Promise<TcpDockerd> {
  requireRoot('startDockerdTcp');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-dockerd-'));
  const releaseDir = register({ kind: 'dir', path: dir });
  const socket = path.join(dir, 'docker.sock');
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'daemon.json'), '{}\n');
  const args = [
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'),
    '--config-file', path.join(dir, 'daemon.json'),
    '-H', `unix://${socket}`,
    '-H', `tcp://127.0.0.1:${port}`,
    '--iptables=false',
    '--bridge=none',
    '--storage-driver=vfs',
  ];
  if (options.tls) {
    args.push('--tlsverify', '--tlscacert', options.tls.caCert, '--tlscert', options.tls.serverCert, '--tlskey', options.tls.serverKey);
  }
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn('/usr/sbin/dockerd', args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  if (!child.pid) {
    throw new Error('dockerd could not be started');
  }
  const pid = child.pid;
  const release = registerProcess(pid, 'dockerd', true);
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.unref();

  const stop = async (): Promise<void> => {
    const family = familyOf(pid, true);
    const left = await terminate([pid], 30_000);
    const rest = await terminate(family.filter(isAlive), 5_000);
    if (left.length > 0 || rest.length > 0) {
      throw new Error(`dockerd processes survived SIGKILL: ${[...left, ...rest].join(', ')}`);
    }
    release();
    removeTreeSync(dir);
    releaseDir();
  };

  // dockerd may pause on an unauthenticated TCP listener to show a warning: be patient.
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (exited) {
      const text = fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-30).join('\n');
      await stop();
      throw new Error(`dockerd ${exited}; log:\n${text}`);
    }
    try {
      if ((await ping(socket, 2_000)) === 'OK') {
        break;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('dockerd with a TCP listener did not answer /_ping in time');
    }
    await sleep(100);
  }
  return { socket, port, dir, stop };
}
