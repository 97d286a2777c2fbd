/** A test sshd, a user of it (optionally in the docker group of a test dockerd) and an ssh2 client logged in as that user. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'ssh2';
import { createAckNudger } from '../../src/core/engine/engineAckNudge';
import {
  createUser,
  generateKey,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { ssh2Login } from '../support/ssh2Client';

export interface SyncSetup {
  sshd: Sshd;
  user: TestUser;
  home: TempHome;
  dockerd?: Dockerd;
  privateKey: Buffer;
  connect(): Promise<Client>;
  stop(): Promise<void>;
}

export async function syncSetup(o: { dockerd?: boolean } = {}): Promise<SyncSetup> {
  const [sshd, dockerd] = await Promise.all([startSshd(), o.dockerd ? startDockerd() : Promise.resolve(undefined)]);
  const user = await createUser(dockerd ? { docker: true, dockerHost: dockerd.host } : {});
  const home = tempHome('rdc-sync-home-');
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  const privateKey = await fs.readFile(key.privateKey);
  const clients: Client[] = [];
  return {
    sshd,
    user,
    home,
    dockerd,
    privateKey,
    connect: async () => {
      const c = await ssh2Login({ port: sshd.port, username: user.name, hostKeyPub: sshd.hostKeyPub, privateKey });
      // As on the pool's connections (TCP_NODELAY and the ACK nudge), whose leases the sync uses: no 40 ms stalls.
      c.setNoDelay(true);
      createAckNudger(c);
      clients.push(c);
      return c;
    },
    stop: async () => {
      for (const c of clients) {
        c.end();
      }
      await user.remove();
      await sshd.dispose();
      await dockerd?.stop();
      home.remove();
    },
  };
}

/** Every entry under `root` as `type path [mode] [content or link text]`, sorted: what a mirror must equal. */
export async function treeSnapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await fs.readdir(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = await fs.lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) {
        out.push(`l ${r} -> ${await fs.readlink(abs)}`);
      } else if (st.isDirectory()) {
        out.push(`d ${r} ${mode}`);
        await walk(r);
      } else {
        out.push(`f ${r} ${mode} ${Math.floor(st.mtimeMs / 1000)} ${(await fs.readFile(abs)).toString('base64')}`);
      }
    }
  };
  await walk('');
  return out.sort();
}

/**
 * A directory outside every synced tree, writable by anyone, holding a file `victim`: a test that
 * tries to make the sync write outside its mirror checks that nothing changed here.
 */
export async function outsideDir(tempDir: () => Promise<string>): Promise<string> {
  const d = await tempDir();
  await fs.chmod(d, 0o777);
  await fs.writeFile(path.join(d, 'victim'), 'untouched');
  await fs.chmod(path.join(d, 'victim'), 0o666);
  return d;
}
