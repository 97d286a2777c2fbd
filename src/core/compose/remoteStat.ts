/**
 * What is at a path on the daemon's machine, asked over SFTP on a connection the caller holds
 * (the pooled one of the context): one SFTP session for a batch of paths, each call with the
 * caller's deadline and signal. `stat` follows symlinks, as the daemon does when it mounts.
 */
import type { Client, SFTPWrapper } from 'ssh2';
import { withDeadline } from '../engine/deadline';

export type RemoteKind = 'directory' | 'file' | 'other' | 'missing' | 'unknown';

/** Stats a path on the remote; never rejects for the path itself (permission denied is `unknown`). */
export type RemoteStat = (remotePath: string) => Promise<RemoteKind>;

export interface SftpStatOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** SFTP status code of "no such file" (draft-ietf-secsh-filexfer, SSH_FX_NO_SUCH_FILE). */
const NO_SUCH_FILE = 2;

/** Opens an SFTP session, lends `use` a stat function over it, closes the session after. */
export async function withSftpStat<T>(
  client: Client,
  o: SftpStatOptions,
  use: (stat: RemoteStat) => Promise<T>,
): Promise<T> {
  const sftp = await withDeadline(
    new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s)))),
    { timeoutMs: o.timeoutMs, signal: o.signal, onLate: (s) => s.end() },
  );
  try {
    return await use((p) => withDeadline(statOne(sftp, p), { timeoutMs: o.timeoutMs, signal: o.signal }));
  } finally {
    sftp.end();
  }
}

function statOne(sftp: SFTPWrapper, p: string): Promise<RemoteKind> {
  return new Promise((resolve) => {
    sftp.stat(p, (err, st) => {
      if (err) {
        resolve((err as { code?: unknown }).code === NO_SUCH_FILE ? 'missing' : 'unknown');
      } else if (st.isDirectory()) {
        resolve('directory');
      } else if (st.isFile()) {
        resolve('file');
      } else {
        resolve('other');
      }
    });
  });
}
