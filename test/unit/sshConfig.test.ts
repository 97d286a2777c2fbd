import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { readSshConfig } from '../../src/core/sshConfig/sshConfig';
import { tempDirs } from '../support/tempDirs';

const newHome = tempDirs('rdc-sshcfg-read-');

/** A temp home with `.ssh/` files (mode 600; names relative to `.ssh`). */
async function home(files: Record<string, string>): Promise<{ home: string; ssh: string; config: string }> {
  const h = await newHome();
  const ssh = path.join(h, '.ssh');
  await fs.mkdir(ssh, { mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(ssh, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text.split('@HOME@').join(h), { mode: 0o600 });
  }
  return { home: h, ssh, config: path.join(ssh, 'config') };
}

test('lists concrete hosts in file order across Includes, first definition wins, patterns left out', async () => {
  const h = await home({
    config: [
      'Include conf.d/*.conf', // line 1
      '',
      'Host web db', // 3
      '  HostName web.example.com',
      '',
      'Host *.corp !secret.corp ?x', // 6
      '  User corp',
      '',
      'Host gated', // 9
      '  Include gated.conf',
      '',
      'Host a1', // 12
      'Host web', // 13: duplicate of line 3
      '  User dup',
      'Host *',
      '  User me',
      '',
    ].join('\n'),
    'conf.d/20-b.conf': 'Host beta\n  Port 2200\n',
    'conf.d/10-a.conf': 'Host alpha alpha2\n  Port 2201\n',
    'conf.d/.hidden.conf': 'Host hidden\n',
    'conf.d/notes.txt': 'Host notes\n',
    'gated.conf': 'Host gated-inner\n  User x\n',
  });
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(snap.problems, []);
  assert.deepEqual(
    snap.hosts.map((x) => [x.alias, path.relative(h.ssh, x.file), x.line, x.patterns.join(' '), x.editable]),
    [
      ['alpha', 'conf.d/10-a.conf', 1, 'alpha alpha2', false],
      ['alpha2', 'conf.d/10-a.conf', 1, 'alpha alpha2', false],
      ['beta', 'conf.d/20-b.conf', 1, 'beta', false],
      ['web', 'config', 3, 'web db', false],
      ['db', 'config', 3, 'web db', false],
      ['gated', 'config', 9, 'gated', false], // holds an Include: removing it would lose that
      ['gated-inner', 'gated.conf', 1, 'gated-inner', false],
      ['a1', 'config', 12, 'a1', true],
    ],
  );
  assert.deepEqual(
    snap.files.map((f) => path.relative(h.ssh, f)),
    ['config', 'conf.d/10-a.conf', 'conf.d/20-b.conf', 'gated.conf'],
  );
  assert.equal(snap.configFile, h.config);
});

test('a missing main file is an empty snapshot without problems', async () => {
  const h = await home({});
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(snap, { configFile: h.config, files: [], hosts: [], problems: [] });
});

test('Include: relative paths live in <home>/.ssh even for a config elsewhere; absolute and ~ paths; missing targets are ignored', async () => {
  const h = await home({
    'inc/rel.conf': 'Host rel\n',
    'abs.conf': 'Host abs\n',
    'tilde.conf': 'Host tilde\n',
  });
  const elsewhere = path.join(h.home, 'other', 'my_config');
  await fs.mkdir(path.dirname(elsewhere), { recursive: true });
  await fs.writeFile(
    elsewhere,
    `Include inc/rel.conf\nInclude ${h.ssh}/abs.conf\nInclude ~/.ssh/tilde.conf\nInclude nothing-*.conf missing.conf\n`,
  );
  const snap = await readSshConfig({ configFile: elsewhere, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['rel', 'abs', 'tilde'],
  );
  assert.deepEqual(snap.problems, []);
});

test('an Include loop is a problem, not a hang, and the rest is still listed', async () => {
  const h = await home({
    config: 'Host before\nInclude loop-a.conf\nHost after\n',
    'loop-a.conf': 'Host in-a\nInclude loop-b.conf\n',
    'loop-b.conf': 'Host in-b\nInclude loop-a.conf\n',
  });
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['before', 'in-a', 'in-b', 'after'],
  );
  assert.equal(snap.problems.length, 1);
  assert.equal(snap.problems[0].reason, 'sshIncludeLoop');
  assert.equal(snap.problems[0].file, path.join(h.ssh, 'loop-b.conf'));
  assert.equal(snap.problems[0].line, 2);
});

test('a glob that matches the including file itself is a loop problem', async () => {
  const h = await home({ config: 'Include ~/.ssh/*\nHost main\n', other: 'Host other\n' });
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['other', 'main'],
  );
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, p.line]),
    [['sshIncludeLoop', 1]],
  );
});

test('an unreadable main file is a problem with reason fileUnreadable', async () => {
  // The tests run as root, for whom chmod 000 changes nothing, so the config is made unreadable
  // honestly in ways that fail for root too: a directory in its place (EISDIR) and a symlink
  // that points at itself (ELOOP).
  const h = await home({});
  await fs.mkdir(h.config);
  let snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, p.file]),
    [['fileUnreadable', h.config]],
  );
  assert.deepEqual(snap.hosts, []);
  await fs.rmdir(h.config);
  await fs.symlink(h.config, h.config);
  snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.problems.map((p) => p.reason),
    ['fileUnreadable'],
  );
});

test('an unreadable included file is a problem; a sub-directory matched by a glob is skipped like ssh does', async () => {
  const h = await home({ config: 'Include conf.d/*\nHost main\n', 'conf.d/a.conf': 'Host a\n' });
  await fs.symlink(path.join(h.ssh, 'conf.d', 'b.conf'), path.join(h.ssh, 'conf.d', 'b.conf')); // ELOOP
  await fs.mkdir(path.join(h.ssh, 'conf.d', 'c.d'));
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['a', 'main'],
  );
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, path.relative(h.ssh, p.file)]),
    [['fileUnreadable', 'conf.d/b.conf']],
  );
});

test('lines ssh cannot parse are problems with their line; the other hosts are still listed', async () => {
  const h = await home({ config: 'Host ok\n  User "unterminated\nHost also-ok\n  HostName\n' });
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => [x.alias, x.editable]),
    [
      ['ok', false],
      ['also-ok', false],
    ],
  );
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, p.line]),
    [
      ['sshConfigUnparsable', 2],
      ['sshConfigUnparsable', 4],
    ],
  );
});

test('an included file others can write is reported, since ssh refuses it', async () => {
  const h = await home({ config: 'Include shared.conf\n', 'shared.conf': 'Host shared\n' });
  await fs.chmod(path.join(h.ssh, 'shared.conf'), 0o666);
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, path.basename(p.file)]),
    [['sshConfigPermissions', 'shared.conf']],
  );
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['shared'],
  );
});

test('keyword case, = separators, quotes, CRLF and comments are read like ssh reads them', async () => {
  const h = await home({
    config: '# comment\r\nHOST=first # trailing comment\r\n  hostname x\r\nhost "quoted" second\r\n\thost\tthird\r\n',
  });
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => [x.alias, x.line, x.editable]),
    [
      ['first', 2, true],
      ['quoted', 4, false],
      ['second', 4, false],
      ['third', 5, true],
    ],
  );
});

test('a FIFO matched by an Include is a problem, never a read that blocks forever', async () => {
  const h = await home({ config: 'Include conf.d/*\nHost after\n', 'conf.d/a.conf': 'Host a\n' });
  const mk = await runProcess('mkfifo', [path.join(h.ssh, 'conf.d', 'pipe')], { timeoutMs: 10_000 });
  assert.equal(mk.code, 0, mk.stderr);
  const snap = await readSshConfig({ configFile: h.config, home: h.home });
  assert.deepEqual(
    snap.hosts.map((x) => x.alias),
    ['a', 'after'],
  );
  assert.deepEqual(
    snap.problems.map((p) => [p.reason, path.relative(h.ssh, p.file)]),
    [['fileUnreadable', 'conf.d/pipe']],
  );
});

test('Include globs: *, ?, [classes], sorted byte-wise; ~otheruser paths are never read relative to the working directory', async () => {
  const h = await home({
    config: 'Include d/[ab]?.conf d/z*\nInclude ~no-such-user-rdc/x.conf\n',
    'd/b1.conf': 'Host b1\n',
    'd/a2.conf': 'Host a2\n',
    'd/c1.conf': 'Host c1\n',
    'd/ab.conf': 'Host ab\n',
    'd/zB': 'Host zB\n',
    'd/zA': 'Host zA\n',
  });
  const cwd = process.cwd();
  await fs.mkdir(path.join(h.home, '~no-such-user-rdc'));
  await fs.writeFile(path.join(h.home, '~no-such-user-rdc', 'x.conf'), 'Host from-cwd\n');
  process.chdir(h.home);
  try {
    const snap = await readSshConfig({ configFile: h.config, home: h.home });
    assert.deepEqual(
      snap.hosts.map((x) => x.alias),
      ['a2', 'ab', 'b1', 'zA', 'zB'],
    );
  } finally {
    process.chdir(cwd);
  }
});
