/**
 * A tcp:// context's TLS material, read like the docker CLI uses it: ca.pem to verify the daemon,
 * cert.pem + key.pem to authenticate; SkipTLSVerify alone also means TLS (unverified). No tlsDir
 * and no SkipTLSVerify: plain TCP.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import { CoreError, describeError } from '../common/errors';
import type { EngineTarget } from './engineRoute';

export async function loadTls(target: EngineTarget): Promise<tls.ConnectionOptions | undefined> {
  const dir = target.tlsDir;
  if (!dir) {
    return target.skipTLSVerify ? { rejectUnauthorized: false } : undefined;
  }
  const read = async (name: string): Promise<Buffer | undefined> => {
    const file = path.join(dir, name);
    try {
      return await fs.promises.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw new CoreError('tlsMaterialMissing', `${file} cannot be read: ${describeError(e)}`, {
        name: target.contextName,
        file,
        detail: 'unreadable',
      });
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  if (!ca && !cert && !key) {
    throw new CoreError('tlsMaterialMissing', `The TLS directory of context "${target.contextName}" is empty.`, {
      name: target.contextName,
      file: dir,
      detail: 'empty',
    });
  }
  if (!!cert !== !!key) {
    throw new CoreError('tlsMaterialMissing', `Context "${target.contextName}" has only half a key pair.`, {
      name: target.contextName,
      file: path.join(dir, cert ? 'key.pem' : 'cert.pem'),
      detail: cert ? 'keyMissing' : 'certMissing',
    });
  }
  return {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    rejectUnauthorized: !target.skipTLSVerify,
  };
}
