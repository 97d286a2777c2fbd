/**
 * What addSshHost/removeSshHost write, the real OpenSSH client uses unchanged: `ssh -G` shows
 * the values, `ssh ALIAS true` logs in to a real sshd on 127.0.0.1, the new block wins over an
 * existing `Host *` (first match wins), modes are 700/600, and ssh's "Bad owner or permissions"
 * refusal of a world-writable config is shown and reported by this project too.
 *
 * The `ssh` shim of tempHome() runs the real /usr/bin/ssh with the temp home as its passwd home,
 * so plain `ssh ALIAS` (no -F) reads `<temp home>/.ssh/config`, exactly as it reads a user's
 * own config, including the permission check ssh applies only to that default file.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess, type RunResult } from '../../src/core/common/exec';
import { readSshConfig } from '../../src/core/sshConfig/sshConfig';
import { addSshHost, removeSshHost } from '../../src/core/sshConfig/sshConfigEdit';
import { resolveHostBuiltin, resolveHostWithSsh } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  createUser,
  knownHostsLine,
  requireRoot,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

const T = { timeout: 180_000 };

function sshG(stdout: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) {
      m.set(line.slice(0, sp), [...(m.get(line.slice(0, sp)) ?? []), line.slice(sp + 1)]);
    }
  }
  return m;
}

describe('the SSH config written by this project, used by the real OpenSSH client', () => {
  let sshd: Sshd;
  let user: TestUser;
  const homes: TempHome[] = [];

  before(async () => {
    requireRoot('sshConfigOpenssh tests');
    sshd = await startSshd({ passwordAuth: false });
    user = await createUser();
  });

  after(async () => {
    await user?.remove();
    await sshd?.dispose();
    for (const h of homes) {
      h.remove();
    }
  });

  /** A temp home without `.ssh` (addSshHost must create it) and a key authorized for the test user. */
  async function freshHome(): Promise<{ h: TempHome; key: string; shim: string; config: string }> {
    const h = tempHome('rdc-sshcfg-it-');
    homes.push(h);
    await fs.rm(h.sshDir, { recursive: true, force: true });
    const keys = path.join(h.home, 'keys');
    await fs.mkdir(keys, { mode: 0o700 });
    const key = path.join(keys, 'id_box');
    const gen = await runProcess(
      '/usr/bin/ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', 'rdc-sshcfg', '-f', key],
      { timeoutMs: 30_000 },
    );
    assert.equal(gen.code, 0, gen.stderr);
    user.authorizeKey((await fs.readFile(`${key}.pub`, 'utf8')).trim());
    return { h, key, shim: path.join(h.binDir, 'ssh'), config: path.join(h.sshDir, 'config') };
  }

  const run = (h: TempHome, cmd: string, args: string[]): Promise<RunResult> =>
    runProcess(cmd, args, { env: h.env, timeoutMs: 60_000 });

  it('creates ~/.ssh 0700 and config 0600; ssh -G shows the values; ssh ALIAS true logs in', T, async () => {
    const { h, key, shim, config } = await freshHome();
    const res = await addSshHost(
      config,
      { alias: 'rdc-box', hostName: '127.0.0.1', user: user.name, port: sshd.port, identityFile: key },
      { home: h.home },
    );
    assert.equal(res.line, 1);
    assert.equal((await fs.stat(h.sshDir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(config)).mode & 0o777, 0o600);
    addKnownHost(h.home, knownHostsLine(sshd));

    // The default config path (no -F), as ssh and the docker CLI read it.
    const g = await run(h, shim, ['-G', 'rdc-box']);
    assert.equal(g.code, 0, g.stderr);
    const v = sshG(g.stdout);
    assert.deepEqual(v.get('hostname'), ['127.0.0.1']);
    assert.deepEqual(v.get('user'), [user.name]);
    assert.deepEqual(v.get('port'), [String(sshd.port)]);
    assert.deepEqual(v.get('identityfile'), [key]);
    assert.deepEqual(v.get('identitiesonly'), ['yes']);

    // And the same with -F, with the plain binary.
    const gf = await run(h, '/usr/bin/ssh', ['-G', '-F', config, 'rdc-box']);
    assert.equal(gf.code, 0, gf.stderr);
    assert.deepEqual(sshG(gf.stdout).get('hostname'), ['127.0.0.1']);
    assert.deepEqual(sshG(gf.stdout).get('port'), [String(sshd.port)]);

    const login = await run(h, shim, ['-o', 'BatchMode=yes', 'rdc-box', 'id', '-un']);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout.trim(), user.name);
    assert.doesNotMatch(login.stderr, /config|line \d+/i);
    const loginF = await run(h, '/usr/bin/ssh', [
      '-F',
      config,
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${path.join(h.sshDir, 'known_hosts')}`,
      'rdc-box',
      'true',
    ]);
    assert.equal(loginF.code, 0, loginF.stderr);
  });

  it(
    'the new block is inserted before Host * so it wins there; removing it restores the file byte for byte',
    T,
    async () => {
      const { h, key, shim, config } = await freshHome();
      await fs.mkdir(h.sshDir, { mode: 0o700 });
      const original =
        '# mine\nHost other\n    HostName other.invalid  # keep this\n\nHost *\n    User nobody-wins\n    Port 1\n    IdentityFile /nonexistent/key\n';
      await fs.writeFile(config, original, { mode: 0o600 });
      addKnownHost(h.home, knownHostsLine(sshd));
      await addSshHost(
        config,
        { alias: 'rdc-box', hostName: '127.0.0.1', user: user.name, port: sshd.port, identityFile: key },
        { home: h.home },
      );

      const v = sshG((await run(h, shim, ['-G', 'rdc-box'])).stdout);
      assert.deepEqual(v.get('user'), [user.name]);
      assert.deepEqual(v.get('port'), [String(sshd.port)]);
      assert.deepEqual(v.get('identityfile'), [key, '/nonexistent/key'], 'IdentityFile accumulates; ours comes first');
      const login = await run(h, shim, ['-o', 'BatchMode=yes', 'rdc-box', 'true']);
      assert.equal(login.code, 0, login.stderr);

      await removeSshHost(config, 'rdc-box', { home: h.home });
      assert.equal(await fs.readFile(config, 'utf8'), original);
      assert.deepEqual(sshG((await run(h, shim, ['-G', 'rdc-box'])).stdout).get('user'), ['nobody-wins']);
    },
  );

  it(
    'ssh refuses a world-writable config with "Bad owner or permissions"; this project reports it the same way',
    T,
    async () => {
      const { h, key, shim, config } = await freshHome();
      await addSshHost(
        config,
        { alias: 'rdc-box', hostName: '127.0.0.1', user: user.name, port: sshd.port, identityFile: key },
        { home: h.home },
      );
      addKnownHost(h.home, knownHostsLine(sshd));
      await fs.chmod(config, 0o666);
      const refused = await run(h, shim, ['-o', 'BatchMode=yes', 'rdc-box', 'true']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Bad owner or permissions on \S*\.ssh\/config/);

      const snap = await readSshConfig({ configFile: config, home: h.home });
      assert.deepEqual(
        snap.problems.map((p) => [p.reason, p.file]),
        [['sshConfigPermissions', config]],
      );
      // ssh -G on the default path (no -F: home is the passwd home inside the shim) is refused too.
      const passwdHome = os.userInfo().homedir;
      await assert.rejects(
        resolveHostWithSsh('rdc-box', {
          configFile: path.join(passwdHome, '.ssh', 'config'),
          home: passwdHome,
          localUser: os.userInfo().username,
          sshBinary: shim,
        }),
        { reason: 'sshConfigPermissions' },
      );
      // A later edit keeps the file's mode (it does not silently repair it), so the problem stays visible.
      await addSshHost(config, { alias: 'rdc-two', hostName: '127.0.0.2' }, { home: h.home });
      assert.equal((await fs.stat(config)).mode & 0o777, 0o666);

      await fs.chmod(config, 0o600);
      const ok = await run(h, shim, ['-o', 'BatchMode=yes', 'rdc-box', 'true']);
      assert.equal(ok.code, 0, ok.stderr);
    },
  );

  it(
    'without -F (default config, passwd home) ssh -G also applies the system config, like the builtin resolver does by default',
    T,
    async () => {
      const { h, key, shim, config } = await freshHome();
      await addSshHost(
        config,
        { alias: 'rdc-box', hostName: '127.0.0.1', user: user.name, port: sshd.port, identityFile: key },
        { home: h.home },
      );
      const passwdHome = os.userInfo().homedir;
      // Inside the shim the passwd home *is* the temp home, so this is the no -F path.
      const viaSsh = await resolveHostWithSsh('rdc-box', {
        configFile: path.join(passwdHome, '.ssh', 'config'),
        home: passwdHome,
        localUser: os.userInfo().username,
        sshBinary: shim,
      });
      const builtin = await resolveHostBuiltin('rdc-box', {
        configFile: config,
        home: h.home,
        localUser: os.userInfo().username,
      });
      const pick = (x: typeof viaSsh): unknown[] => [
        x.hostname,
        x.user,
        x.port,
        x.identitiesOnly,
        x.hashKnownHosts,
        x.strictHostKeyChecking,
        x.globalKnownHostsFiles,
      ];
      assert.deepEqual(pick(builtin), pick(viaSsh));
      assert.deepEqual(viaSsh.identityFiles, [key]);
      // The no -F result is the one plain `ssh` uses (Debian's /etc/ssh/ssh_config turns on
      // HashKnownHosts, so this matters for writing known_hosts)...
      const plain = sshG((await run(h, shim, ['-G', 'rdc-box'])).stdout);
      assert.deepEqual(plain.get('hashknownhosts'), [viaSsh.hashKnownHosts ? 'yes' : 'no']);
      // ...while `-F` skips the system file, as the builtin does with systemConfigFile: null.
      const withF = await resolveHostWithSsh('rdc-box', {
        configFile: config,
        home: h.home,
        localUser: os.userInfo().username,
        sshBinary: '/usr/bin/ssh',
      });
      const builtinNoSystem = await resolveHostBuiltin('rdc-box', {
        configFile: config,
        home: h.home,
        localUser: os.userInfo().username,
        systemConfigFile: null,
      });
      assert.deepEqual({ ...withF, source: '' }, { ...builtinNoSystem, source: '' });
    },
  );
});
