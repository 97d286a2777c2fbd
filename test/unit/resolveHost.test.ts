import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { runProcess } from '../../src/core/common/exec';
import {
  convtime,
  resolveHost,
  resolveHostBuiltin,
  resolveHostWithSsh,
  type ResolveOptions,
} from '../../src/core/sshConfig/resolveHost';
import {
  DEFAULT_CIPHERS,
  DEFAULT_KEX,
  DEFAULT_KEY_ALGORITHMS,
  DEFAULT_MACS,
} from '../../src/core/sshConfig/sshAlgorithms';
import { sshClientMissing } from '../support/openssh';
import { tempDirs } from '../support/tempDirs';

const newHome = tempDirs('rdc-sshcfg-resolve-');

async function setup(files: Record<string, string>): Promise<ResolveOptions & { ssh: string }> {
  const home = await newHome();
  const ssh = path.join(home, '.ssh');
  await fs.mkdir(ssh, { mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(home, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text.split('@HOME@').join(home), { mode: 0o600 });
  }
  return { configFile: path.join(ssh, 'config'), home, localUser: 'tester', systemConfigFile: null, ssh };
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoreError) {
      return e.reason;
    }
    throw e;
  }
  return 'resolved';
}

describe('builtin resolver (expected values written by hand)', () => {
  test('first obtained value wins across Include, Host, Match and Host *; tokens and ~ use the given home', async () => {
    const o = await setup({
      '.ssh/config': [
        'Include conf.d/*.conf',
        '',
        'Host web',
        '  HostName Web.Example.COM',
        '  port 2200',
        '  IdentityFile ~/.ssh/id_%r@%h',
        '  IdentityFile %d/keys/%n-%p',
        '',
        'Match host web.example.com',
        '  User from-match',
        '  Port 9999',
        '',
        'Host *',
        '  User fallback',
        '  StrictHostKeyChecking accept-new',
        '  UserKnownHostsFile ~/.ssh/kh %d/.ssh/kh2',
        '',
      ].join('\n'),
      '.ssh/conf.d/a.conf': 'Host web\n  HashKnownHosts yes\n  ConnectTimeout 1m\n',
    });
    const h = await resolveHostBuiltin('web', o);
    assert.deepEqual(h, {
      alias: 'web',
      hostname: 'web.example.com',
      user: 'from-match',
      port: 2200,
      identityFiles: [`${o.home}/.ssh/id_from-match@web.example.com`, `${o.home}/keys/web-2200`],
      identitiesOnly: false,
      userKnownHostsFiles: [`${o.home}/.ssh/kh`, `${o.home}/.ssh/kh2`],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      strictHostKeyChecking: 'accept-new',
      hashKnownHosts: true,
      connectTimeout: 60,
      serverAliveInterval: 0,
      serverAliveCountMax: 3,
      // OpenSSH 9.2's defaults (ssh -G prints them; the differential test compares the lists).
      hostKeyAlgorithms: DEFAULT_KEY_ALGORITHMS,
      pubkeyAcceptedAlgorithms: DEFAULT_KEY_ALGORITHMS,
      kexAlgorithms: DEFAULT_KEX,
      ciphers: DEFAULT_CIPHERS,
      macs: DEFAULT_MACS,
      source: 'builtin',
    });
    const other = await resolveHostBuiltin('other', o);
    assert.equal(other.user, 'fallback');
    assert.equal(other.hostname, 'other');
    assert.equal(other.port, 22);
    assert.equal(other.identityFiles.length, 7, 'the default identities when none is set');
    assert.equal(other.identityFiles[3], `${o.home}/.ssh/id_ed25519`);
  });

  test('an unset user is the local user; a missing config gives the defaults', async () => {
    const o = await setup({});
    const h = await resolveHostBuiltin('Box', o);
    assert.equal(h.user, 'tester');
    assert.equal(h.hostname, 'box');
    assert.equal(h.strictHostKeyChecking, 'ask');
    assert.deepEqual(h.userKnownHostsFiles, [`${o.home}/.ssh/known_hosts`, `${o.home}/.ssh/known_hosts2`]);
  });

  test('the system config is read after the user config; its relative Includes live next to it; ~ is refused there', async () => {
    const o = await setup({
      '.ssh/config': 'Host web\n  User mine\n',
      'etc/ssh_config': 'Include ssh_config.d/*.conf\nHost *\n  User system\n  HashKnownHosts yes\n',
      'etc/ssh_config.d/10.conf': 'Host web\n  Port 2022\n',
    });
    const withSystem = { ...o, systemConfigFile: path.join(o.home, 'etc', 'ssh_config') };
    const h = await resolveHostBuiltin('web', withSystem);
    assert.equal(h.user, 'mine');
    assert.equal(h.port, 2022);
    assert.equal(h.hashKnownHosts, true);
    assert.equal(
      (await resolveHostBuiltin('web', o)).hashKnownHosts,
      false,
      'systemConfigFile: null reads no system file',
    );
    await fs.writeFile(withSystem.systemConfigFile, 'Include ~/.ssh/x\n');
    assert.equal(await reason(resolveHostBuiltin('web', withSystem)), 'sshConfigUnparsable');
  });

  test('Match exec is never run and never applies; nothing else executes either', async () => {
    const o = await setup({
      '.ssh/config':
        'Match exec "touch @HOME@/executed"\n  User exec-user\nHost *\n  ProxyCommand touch @HOME@/proxied\n',
    });
    const h = await resolveHostBuiltin('web', o);
    assert.equal(h.user, 'tester');
    assert.equal(h.proxyCommand, `touch ${o.home}/proxied`);
    await assert.rejects(fs.stat(path.join(o.home, 'executed')), { code: 'ENOENT' });
    await assert.rejects(fs.stat(path.join(o.home, 'proxied')), { code: 'ENOENT' });
  });

  test('a FIFO matched by an Include is refused instead of blocking the read forever', async () => {
    const o = await setup({ '.ssh/config': 'Include conf.d/*\n' });
    await fs.mkdir(path.join(o.ssh, 'conf.d'));
    const mk = await runProcess('mkfifo', [path.join(o.ssh, 'conf.d', 'pipe')], { timeoutMs: 10_000 });
    assert.equal(mk.code, 0, mk.stderr);
    assert.equal(await reason(resolveHostBuiltin('web', o)), 'fileUnreadable');
  });

  test('Include loops and bad values are refused like ssh refuses them', async () => {
    let o = await setup({ '.ssh/config': 'Include a\n', '.ssh/a': 'Include b\n', '.ssh/b': 'Include a\n' });
    assert.equal(await reason(resolveHostBuiltin('x', o)), 'sshIncludeLoop');
    for (const bad of [
      'Port 0',
      'Port 22x',
      'StrictHostKeyChecking maybe',
      'IdentitiesOnly sure',
      'ConnectTimeout soon',
      'ProxyJump @host',
      'User a b',
    ]) {
      o = await setup({ '.ssh/config': `Host other\n  ${bad}\n` });
      assert.equal(await reason(resolveHostBuiltin('x', o)), 'sshConfigUnparsable', bad);
    }
  });

  test('convtime reads OpenSSH time values', () => {
    assert.equal(convtime('90'), 90);
    assert.equal(convtime('1m30s'), 90);
    assert.equal(convtime('2H'), 7200);
    assert.equal(convtime('1w1d'), 691200);
    assert.equal(convtime(''), undefined);
    assert.equal(convtime('5x'), undefined);
  });
});

describe('resolveHost chooses ssh -G or the builtin', async () => {
  const skip = await sshClientMissing();

  test('sshBinary null never runs ssh', async () => {
    const o = await setup({ '.ssh/config': 'Host web\n  User w\n' });
    const h = await resolveHost('web', { ...o, sshBinary: null });
    assert.equal(h.source, 'builtin');
    assert.equal(h.user, 'w');
  });

  test('without an ssh client on PATH it falls back to the builtin resolver', async () => {
    const o = await setup({ '.ssh/config': 'Host web\n  User w\n' });
    const saved = process.env.PATH;
    process.env.PATH = path.join(o.home, 'empty-bin');
    try {
      const h = await resolveHost('web', o);
      assert.equal(h.source, 'builtin');
      assert.equal(h.user, 'w');
    } finally {
      process.env.PATH = saved;
    }
  });

  test('an explicit ssh path that does not exist is an error, not a silent fallback', async () => {
    const o = await setup({});
    await assert.rejects(resolveHost('web', { ...o, sshBinary: path.join(o.home, 'no-such-ssh') }), { code: 'ENOENT' });
  });

  test('with ssh on PATH it uses ssh -G', { skip }, async () => {
    const o = await setup({ '.ssh/config': 'Host web\n  HostName w.example.com\n  User w\n  Port 2200\n' });
    const h = await resolveHost('web', o);
    assert.equal(h.source, 'ssh -G');
    assert.deepEqual([h.hostname, h.user, h.port], ['w.example.com', 'w', 2200]);
  });

  test('a missing config file resolves to the same defaults both ways (-F none)', { skip }, async () => {
    const o = await setup({});
    const viaSsh = await resolveHostWithSsh('web', { ...o, localUser: os.userInfo().username, sshBinary: 'ssh' });
    const builtin = await resolveHostBuiltin('web', { ...o, localUser: os.userInfo().username });
    assert.deepEqual({ ...viaSsh, source: 'x' }, { ...builtin, source: 'x' });
  });

  test(
    'ssh -G that hangs (a FIFO in an Include) times out and can be cancelled; the builtin refuses the FIFO',
    { skip },
    async () => {
      const o = await setup({ '.ssh/config': 'Include conf.d/*\n' });
      await fs.mkdir(path.join(o.ssh, 'conf.d'));
      const mk = await runProcess('mkfifo', [path.join(o.ssh, 'conf.d', 'pipe')], { timeoutMs: 10_000 });
      assert.equal(mk.code, 0, mk.stderr);
      assert.equal(await reason(resolveHostWithSsh('web', { ...o, sshBinary: 'ssh', timeoutMs: 1500 })), 'timeout');
      const ac = new AbortController();
      const pending = resolveHostWithSsh('web', { ...o, sshBinary: 'ssh', signal: ac.signal, timeoutMs: 60_000 });
      setTimeout(() => ac.abort(), 300);
      assert.equal(await reason(pending), 'cancelled');
      assert.equal(await reason(resolveHostBuiltin('web', o)), 'fileUnreadable');
    },
  );

  test('ssh -G runs Match exec (that is ssh); the builtin never does', { skip }, async () => {
    const o = await setup({ '.ssh/config': 'Match exec "touch @HOME@/ran-by-ssh"\n  User exec-user\n' });
    await resolveHostBuiltin('web', o);
    await assert.rejects(fs.stat(path.join(o.home, 'ran-by-ssh')), { code: 'ENOENT' });
    const h = await resolveHostWithSsh('web', { ...o, sshBinary: 'ssh' });
    assert.equal(h.user, 'exec-user');
    await fs.stat(path.join(o.home, 'ran-by-ssh'));
  });

  test('ssh -G refusals carry the file and line', { skip }, async () => {
    const o = await setup({ '.ssh/config': 'Host a\n  User a\n\nHost b\n  Frobnicate yes\n' });
    try {
      await resolveHostWithSsh('a', { ...o, sshBinary: 'ssh' });
      assert.fail('ssh accepted an unknown keyword');
    } catch (e) {
      assert.ok(CoreError.is(e, 'sshConfigUnparsable'), String(e));
      assert.equal(e.details.line, 5);
      assert.equal(e.details.file, o.configFile);
    }
  });
});
