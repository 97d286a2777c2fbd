/**
 * TLS material for a dockerd TCP listener with `--tlsverify` (tcp:// Docker contexts): a CA, a
 * server certificate for IP 127.0.0.1 and a client certificate, made by openssl in a temp dir
 * that is registered for cleanup.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { register } from './cleanup';
import { removeTreeSync } from './processes';

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
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}-key.pem`),
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  };
  await ca('ca');
  await ca('other-ca');
  const leaf = async (name: string, cn: string, ext: string): Promise<void> => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    await openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}-key.pem`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca-key.pem'),
      '-CAcreateserial',
      '-out',
      f(`${name}-cert.pem`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
    ]);
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
