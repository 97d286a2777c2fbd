import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import SSHConfig from 'ssh-config';
import { CoreError } from '../../src/core/common/errors';
import { runProcess } from '../../src/core/common/exec';
import { readSshConfig } from '../../src/core/sshConfig/sshConfig';
import {
  addSshHost,
  parseSshDestination,
  removeSshHost,
  suggestAlias,
  validateAlias,
  type NewSshHost,
} from '../../src/core/sshConfig/sshConfigEdit';
import { tempDirs } from '../support/tempDirs';

const newHome = tempDirs('rdc-sshcfg-edit-');

interface Home {
  home: string;
  ssh: string;
  config: string;
}

async function home(files: Record<string, string> = {}, opts: { noSshDir?: boolean } = {}): Promise<Home> {
  const h = await newHome();
  const ssh = path.join(h, '.ssh');
  if (!opts.noSshDir) {
    await fs.mkdir(ssh, { mode: 0o700 });
  }
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(ssh, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text, { mode: 0o600 });
  }
  return { home: h, ssh, config: path.join(ssh, 'config') };
}

const read = (f: string): Promise<string> => fs.readFile(f, 'utf8');

async function expectReason(p: Promise<unknown>, reason: string): Promise<CoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CoreError, `not a CoreError: ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    return e;
  }
  assert.fail(`expected ${reason}`);
}

const NEW: NewSshHost = { alias: 'newbox', hostName: 'new.example.com', user: 'deploy', port: 2222 };
const NEW_BLOCK = 'Host newbox\n  HostName new.example.com\n  User deploy\n  Port 2222\n';

describe('addSshHost', () => {
  test('creates ~/.ssh (0700) and the config (0600) when missing', async () => {
    const h = await home({}, { noSshDir: true });
    const res = await addSshHost(h.config, { ...NEW, identityFile: '~/.ssh/id_newbox' }, { home: h.home });
    assert.deepEqual(res, { line: 1 });
    assert.equal(await read(h.config), NEW_BLOCK + '  IdentityFile ~/.ssh/id_newbox\n  IdentitiesOnly yes\n');
    assert.equal((await fs.stat(h.config)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(h.ssh)).mode & 0o777, 0o700);
    assert.deepEqual(await fs.readdir(h.ssh), ['config']); // no temp file left behind
  });

  test('goes before the first Host * with its comment, keeping every other byte (inline comments, odd indentation, trailing blanks)', async () => {
    // The ssh-config library would drop the spaces before "# trailing comment" and the trailing
    // blanks if the file were re-stringified; inserting text keeps them.
    const original = [
      'Include conf.d/*',
      '',
      'Host web  # trailing comment',
      '    HostName web.example.com   ',
      '    User\twww',
      '',
      '# defaults for everything',
      'Host *',
      '    ServerAliveInterval 30',
      '',
    ].join('\n');
    const h = await home({ config: original });
    const res = await addSshHost(h.config, NEW, { home: h.home });
    const after = await read(h.config);
    const at = original.indexOf('# defaults');
    assert.equal(after, original.slice(0, at) + NEW_BLOCK + '\n' + original.slice(at));
    assert.equal(res.line, 7);
    assert.equal(after.split('\n')[res.line - 1], 'Host newbox');
  });

  test('goes before Match all, and before a Match that may apply, but not before a Host that cannot', async () => {
    const original = 'Host web\n  User w\n\nHost *.internal\n  User i\n\nMatch all\n  User everyone\n';
    const h = await home({ config: original });
    await addSshHost(h.config, NEW, { home: h.home });
    const at = original.indexOf('Match all');
    assert.equal(await read(h.config), original.slice(0, at) + NEW_BLOCK + '\n' + original.slice(at));

    const h2 = await home({ config: 'Host a\n  User a\nMatch host *.example.com\n  User m\nHost *\n  User all\n' });
    await addSshHost(h2.config, NEW, { home: h2.home });
    assert.equal(
      await read(h2.config),
      `Host a\n  User a\n${NEW_BLOCK}Match host *.example.com\n  User m\nHost *\n  User all\n`,
    );

    // A Match on other host names only cannot apply: the block goes further down, before Host *.
    const h3 = await home({ config: 'Match host *.other.org\n  User m\n\nHost *\n  User all\n' });
    await addSshHost(h3.config, NEW, { home: h3.home });
    assert.equal(await read(h3.config), `Match host *.other.org\n  User m\n\n${NEW_BLOCK}\nHost *\n  User all\n`);
  });

  test('a wildcard block that matches the alias counts as generic too', async () => {
    const original = 'Host db\n  User d\n\nHost new*\n  User wild\n';
    const h = await home({ config: original });
    await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(await read(h.config), `Host db\n  User d\n\n${NEW_BLOCK}\nHost new*\n  User wild\n`);
  });

  test('appends at the end with the usual gap; an unterminated last line gets its newline first', async () => {
    const h = await home({ config: 'Host a\n  User a\n\nHost b\n  User b' });
    const res = await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(await read(h.config), `Host a\n  User a\n\nHost b\n  User b\n\n${NEW_BLOCK}`);
    assert.equal(res.line, 7);
  });

  test('keeps the file’s habit: two blank lines, none, CRLF', async () => {
    const two = 'Host a\n  User a\n\n\nHost b\n  User b\n\n\nHost *\n  User all\n';
    let h = await home({ config: two });
    await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(
      await read(h.config),
      `Host a\n  User a\n\n\nHost b\n  User b\n\n\n${NEW_BLOCK}\n\nHost *\n  User all\n`,
    );

    h = await home({ config: 'Host a\n  User a\nHost b\n  User b\n' });
    await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(await read(h.config), `Host a\n  User a\nHost b\n  User b\n${NEW_BLOCK}`);

    h = await home({ config: 'Host a\r\n  User a\r\n\r\nHost *\r\n  User all\r\n' });
    await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(
      await read(h.config),
      `Host a\r\n  User a\r\n\r\n${NEW_BLOCK.replace(/\n/g, '\r\n')}\r\nHost *\r\n  User all\r\n`,
    );
  });

  test('after global directives only: a blank line, then the block', async () => {
    const h = await home({ config: 'ServerAliveInterval 30\n' });
    await addSshHost(h.config, NEW, { home: h.home });
    assert.equal(await read(h.config), `ServerAliveInterval 30\n\n${NEW_BLOCK}`);
  });

  test('quotes an IdentityFile with blanks, doubles %, adds IdentitiesOnly yes; ssh-config reads it back', async () => {
    const h = await home();
    await addSshHost(
      h.config,
      { alias: 'k', hostName: 'fe80::1%eth0', identityFile: '/keys/my key' },
      { home: h.home },
    );
    const text = await read(h.config);
    assert.equal(text, 'Host k\n  HostName fe80::1%%eth0\n  IdentityFile "/keys/my key"\n  IdentitiesOnly yes\n');
    const computed = SSHConfig.parse(text).compute('k');
    assert.deepEqual(computed.IdentityFile, ['/keys/my key']);
    assert.equal(computed.IdentitiesOnly, 'yes');
  });

  test('keeps an existing file’s mode and a symlink to the config', async () => {
    const h = await home({ real_config: 'Host a\n' });
    await fs.chmod(path.join(h.ssh, 'real_config'), 0o640);
    await fs.symlink(path.join(h.ssh, 'real_config'), h.config);
    await addSshHost(h.config, NEW, { home: h.home });
    assert.ok((await fs.lstat(h.config)).isSymbolicLink());
    assert.equal((await fs.stat(h.config)).mode & 0o777, 0o640);
    assert.equal(await read(path.join(h.ssh, 'real_config')), `Host a\n\n${NEW_BLOCK}`);
  });

  test('refuses an alias that exists, in the file or in an included file, in any case; nothing changes', async () => {
    const original = 'Include conf.d/*.conf\n\nHost web db\n  User w\n';
    const h = await home({ config: original, 'conf.d/x.conf': 'Host NewBox\n  User x\n' });
    for (const alias of ['web', 'db', 'newbox', 'NEWBOX']) {
      const e = await expectReason(addSshHost(h.config, { ...NEW, alias }, { home: h.home }), 'sshAliasExists');
      assert.ok(typeof e.details.file === 'string' && typeof e.details.line === 'number');
    }
    assert.equal(await read(h.config), original);
  });

  test('refuses invalid aliases and values; nothing is created', async () => {
    const h = await home({}, { noSshDir: true });
    for (const alias of [
      '',
      'has space',
      'tab\there',
      'web*',
      'w?b',
      '!web',
      'web#1',
      '"web"',
      "it's",
      '-oProxyCommand=x',
      'a,b',
      'a/b',
      'a@b',
      'x'.repeat(256),
    ]) {
      await expectReason(addSshHost(h.config, { ...NEW, alias }, { home: h.home }), 'sshAliasInvalid');
    }
    await expectReason(
      addSshHost(h.config, { ...NEW, hostName: 'evil.com\n  ProxyCommand touch /tmp/x' }, { home: h.home }),
      'sshDestinationInvalid',
    );
    await expectReason(addSshHost(h.config, { ...NEW, hostName: '' }, { home: h.home }), 'sshDestinationInvalid');
    await expectReason(addSshHost(h.config, { ...NEW, user: 'a b' }, { home: h.home }), 'sshDestinationInvalid');
    await expectReason(addSshHost(h.config, { ...NEW, port: 0 }, { home: h.home }), 'sshDestinationInvalid');
    await expectReason(addSshHost(h.config, { ...NEW, port: 70000 }, { home: h.home }), 'sshDestinationInvalid');
    await expectReason(
      addSshHost(h.config, { ...NEW, identityFile: '/k\nProxyCommand x' }, { home: h.home }),
      'keyInvalid',
    );
    await expectReason(
      addSshHost(h.config, { ...NEW, identityFile: '/k "quoted" key' }, { home: h.home }),
      'keyInvalid',
    );
    await assert.rejects(fs.stat(h.ssh), { code: 'ENOENT' });
  });

  test('refuses to rewrite a file it cannot parse; the bytes stay identical', async () => {
    const cases: Record<string, string> = {
      'unbalanced quote (ssh: "invalid quotes")': 'Host a\n  User "bob\n',
      'keyword without argument (ssh: "no argument after keyword")': 'Host a\n  HostName\n',
      'empty quoted argument (ssh: "Missing argument")': 'Host a\n  User ""\n',
      'trailing backslash (the ssh-config library throws)': 'Host a\n  ProxyCommand nc %h %p \\\n',
      'Match criterion without value (the ssh-config library throws)': 'Match host\n  User m\n',
    };
    for (const [what, text] of Object.entries(cases)) {
      const h = await home({ config: text });
      const e = await expectReason(addSshHost(h.config, NEW, { home: h.home }), 'sshConfigUnparsable');
      assert.equal(e.details.file, h.config, what);
      assert.equal(await read(h.config), text, what);
      if (text !== 'Host a\n  ProxyCommand nc %h %p \\\n' && !text.startsWith('Match')) {
        assert.equal(e.details.line, 2, what);
      }
    }
  });

  test('an unreadable config is refused, not overwritten', async () => {
    // Root can read a chmod-000 file, so a directory stands in for the unreadable config.
    const h = await home();
    await fs.mkdir(h.config);
    await expectReason(addSshHost(h.config, NEW, { home: h.home }), 'fileUnreadable');
    assert.ok((await fs.stat(h.config)).isDirectory());
    // An included file that cannot be read might hold the alias: refuse rather than guess.
    const h2 = await home({ config: 'Include bad.conf\n' });
    await fs.symlink(path.join(h2.ssh, 'bad.conf'), path.join(h2.ssh, 'bad.conf'));
    await expectReason(addSshHost(h2.config, NEW, { home: h2.home }), 'fileUnreadable');
    assert.equal(await read(h2.config), 'Include bad.conf\n');
  });

  test('an Include loop stops the edit (ssh refuses every host then), without hanging', async () => {
    // Absolute paths, so that ssh (whose relative Includes start at the passwd home) reads the same files.
    const h = await home();
    const a = path.join(h.ssh, 'a.conf');
    await fs.writeFile(h.config, `Include ${a}\n`, { mode: 0o600 });
    await fs.writeFile(a, `Include ${a}\n`, { mode: 0o600 });
    const e = await expectReason(addSshHost(h.config, NEW, { home: h.home }), 'sshIncludeLoop');
    assert.equal(e.details.file, a);
    assert.equal(await read(h.config), `Include ${a}\n`, 'nothing written');
    // The oracle: ssh itself refuses any host of this configuration.
    const ssh = await runProcess('ssh', ['-G', '-F', h.config, 'newbox']).catch(() => undefined);
    if (ssh) {
      assert.notEqual(ssh.code, 0);
      assert.match(ssh.stderr, /Too many recursive configuration includes/);
    }
    // A loop back to the main file itself, and removing a host: refused the same way.
    const b = path.join(h.ssh, 'b.conf');
    const text = `Host old\n  HostName x\n\nInclude ${b}\n`;
    await fs.writeFile(h.config, text, { mode: 0o600 });
    await fs.writeFile(b, `Include ${h.config}\n`, { mode: 0o600 });
    await expectReason(removeSshHost(h.config, 'old', { home: h.home }), 'sshIncludeLoop');
    assert.equal(await read(h.config), text);
  });
});

describe('removeSshHost', () => {
  const FILES = [
    'Host newbox\n  HostName x\n',
    'Host a\n  User a\n',
    'Host a\n  User a\n\nHost *\n  User all\n',
    '# top\n\nHost a\n  User a\n\n\nHost b\n  User b\n\n\n# defaults\nHost *\n  User all\n',
    'ServerAliveInterval 30\n',
    'Host a\r\n  User a\r\n\r\nHost *\r\n  User all\r\n',
    'Host a  # keep me\n    HostName a   \nMatch all\n  User m\n',
    '\n\nHost a\n',
  ];

  test('add then remove gives back the original bytes', async () => {
    for (const original of FILES.slice(1)) {
      const h = await home({ config: original });
      await addSshHost(
        h.config,
        { alias: 'added', hostName: 'added.example.com', identityFile: '~/.ssh/k' },
        { home: h.home },
      );
      assert.notEqual(await read(h.config), original);
      await removeSshHost(h.config, 'added', { home: h.home });
      assert.equal(await read(h.config), original, JSON.stringify(original));
    }
  });

  test('removes a block with its indented comments and separating blank lines, keeping comments above it', async () => {
    const h = await home({
      config: 'Host a\n  User a\n\n# about b\nHost b\n  User b\n  # b note\n\n# defaults\nHost *\n  User all\n',
    });
    await removeSshHost(h.config, 'b', { home: h.home });
    assert.equal(await read(h.config), 'Host a\n  User a\n\n# about b\n# defaults\nHost *\n  User all\n');
    const h2 = await home({ config: 'Host a\n  User a\n\nHost last\n  User l\n\n' });
    await removeSshHost(h2.config, 'last', { home: h2.home });
    assert.equal(await read(h2.config), 'Host a\n  User a\n');
  });

  test('unknown alias: sshHostNotFound; shared, included or Include-holding blocks: sshHostNotEditable; nothing changes', async () => {
    const original =
      'Include extra.conf\n\nHost a b\n  User ab\n\nHost gated\n  Include gated.conf\n\nHost *.corp\n  User c\n';
    const h = await home({ config: original, 'extra.conf': 'Host inc\n  User i\n', 'gated.conf': 'User g\n' });
    await expectReason(removeSshHost(h.config, 'nope', { home: h.home }), 'sshHostNotFound');
    await expectReason(removeSshHost(h.config, '*.corp', { home: h.home }), 'sshHostNotFound');
    await expectReason(removeSshHost(h.config, 'a', { home: h.home }), 'sshHostNotEditable');
    await expectReason(removeSshHost(h.config, 'inc', { home: h.home }), 'sshHostNotEditable');
    await expectReason(removeSshHost(h.config, 'gated', { home: h.home }), 'sshHostNotEditable');
    assert.equal(await read(h.config), original);
    assert.equal(await read(path.join(h.ssh, 'extra.conf')), 'Host inc\n  User i\n');
    const snap = await readSshConfig({ configFile: h.config, home: h.home });
    assert.deepEqual(
      snap.hosts.filter((x) => x.editable),
      [],
    );
  });

  test('refuses an unparsable file and keeps its bytes', async () => {
    const original = 'Host a\n  User a\n\nHost b\n  User "b\n';
    const h = await home({ config: original });
    await expectReason(removeSshHost(h.config, 'a', { home: h.home }), 'sshConfigUnparsable');
    assert.equal(await read(h.config), original);
  });

  test('a missing file has no hosts', async () => {
    const h = await home();
    await expectReason(removeSshHost(h.config, 'a', { home: h.home }), 'sshHostNotFound');
    await assert.rejects(fs.stat(h.config), { code: 'ENOENT' });
  });
});

describe('parseSshDestination', () => {
  const accepted: [string, object][] = [
    ['host', { host: 'host' }],
    ['  build.example.com  ', { host: 'build.example.com' }],
    ['user@host', { user: 'user', host: 'host' }],
    ['user@host:2222', { user: 'user', host: 'host', port: 2222 }],
    ['[::1]:2222', { host: '::1', port: 2222 }],
    ['user@[fe80::1]', { user: 'user', host: 'fe80::1' }],
    ['::1', { host: '::1' }],
    ['192.168.1.10:22', { host: '192.168.1.10', port: 22 }],
    ['ssh://user@host:2222', { user: 'user', host: 'host', port: 2222 }],
    ['ssh://host/', { host: 'host' }],
    ['ssh://[::1]:2200', { host: '::1', port: 2200 }],
    ['ssh://first.last%40corp@host', { user: 'first.last@corp', host: 'host' }],
    ['ssh -p 2222 user@host', { user: 'user', host: 'host', port: 2222 }],
    ['ssh user@host -p 2222', { user: 'user', host: 'host', port: 2222 }],
    ['ssh -p2222 user@host', { user: 'user', host: 'host', port: 2222 }],
    ['ssh -l user host', { user: 'user', host: 'host' }],
    ['ssh -luser -p 2200 host', { user: 'user', host: 'host', port: 2200 }],
    ['ssh "user@host"', { user: 'user', host: 'host' }],
    ['me@corp.com@host', { user: 'me@corp.com', host: 'host' }],
  ];
  for (const [input, expected] of accepted) {
    test(`accepts ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseSshDestination(input), expected);
    });
  }
  const rejected = [
    '',
    '   ',
    'ssh',
    'two words',
    'ssh -i key host',
    'ssh host uptime',
    'ssh -p',
    'ssh -p 22 -p 23 host',
    'ssh -p 2222 host:2200',
    'ssh -l a b@host',
    'host:0',
    'host:65536',
    'host:ssh',
    'http://host',
    'ssh://user:secret@host',
    'ssh://host/var/run/docker.sock',
    '[::1',
    '[::1]x',
    'a;b',
    'host$(id)',
    '-oProxyCommand=x',
    '@host',
    'user@',
    'ssh "unterminated',
  ];
  for (const input of rejected) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseSshDestination(input),
        (e: unknown) => CoreError.is(e, 'sshDestinationInvalid'),
      );
    });
  }
});

describe('validateAlias and suggestAlias', () => {
  test('validateAlias accepts plain names and refuses the rest with a problem', () => {
    for (const ok of ['web', 'web-1', 'build.example.com', 'my_box', '10.0.0.5', 'A1']) {
      validateAlias(ok);
    }
    for (const bad of ['', ' web', 'web*', 'we?b', '!web', '#web', "'web'", '-web', '.web', 'a b', 'a:b']) {
      assert.throws(
        () => validateAlias(bad),
        (e: unknown) => CoreError.is(e, 'sshAliasInvalid') && typeof e.details.problem === 'string',
        bad,
      );
    }
  });

  test('suggestAlias gives valid, short, unused names', () => {
    const cases: [Parameters<typeof suggestAlias>[0], string][] = [
      [{ host: 'build.example.com', user: 'me' }, 'build'],
      [{ host: '192.168.1.10', port: 2222 }, '192.168.1.10'],
      [{ host: '::1' }, 'ipv6-1'],
      [{ host: 'fe80::1%eth0' }, 'ipv6-fe80-1-eth0'],
      [{ host: '123.example.com' }, '123.example.com'],
      [{ host: 'localhost' }, 'localhost'],
    ];
    for (const [dest, expected] of cases) {
      const s = suggestAlias(dest);
      assert.equal(s, expected);
      validateAlias(s);
    }
    assert.equal(suggestAlias({ host: 'build.example.com' }, ['build', 'Build-2']), 'build-3');
  });
});
