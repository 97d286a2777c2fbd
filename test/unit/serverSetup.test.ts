/**
 * The decisions of the server setup without a server: the sudo command line (values quoted,
 * no password in it), sudo's answers (as sudo 1.9 prints them in the C locale), os-release
 * files of the distributions Docker has pages for, and which offers a diagnosis leads to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiagnoseStep } from '../../src/core/diagnose/diagnoseTypes';
import { distroFamily, installGuide, parseOsRelease, parseRemoteFacts } from '../../src/core/serverSetup/osRelease';
import { needsRemoteFacts, setupNeeds, setupOffers } from '../../src/core/serverSetup/setupOffers';
import { adminCommand, classifySudo, privilegedCommand, sudoInvocation } from '../../src/core/serverSetup/sudo';

describe('sudo command line', () => {
  it('quotes every value and keeps the password off the line', () => {
    assert.equal(
      privilegedCommand({ kind: 'addToGroup', group: 'docker', user: 'ubuntu' }),
      'usermod -aG docker ubuntu',
    );
    assert.equal(
      privilegedCommand({ kind: 'addToGroup', group: 'docker', user: "o'brien; rm -rf /" }),
      `usermod -aG docker 'o'\\''brien; rm -rf /'`,
    );
    assert.equal(privilegedCommand({ kind: 'addToGroup', group: 'docker', user: '-oops' }), undefined);
    assert.equal(adminCommand({ kind: 'enableDaemon' }), 'sudo systemctl enable --now docker');
    assert.equal(sudoInvocation('id', true), "env LC_ALL=C LANG=C sudo -k -S -p '' -- id");
    assert.equal(sudoInvocation('id', false), 'env LC_ALL=C LANG=C sudo -k -n -- id');
  });
});

describe("sudo's answers", () => {
  const cases: [string, number | null, string, string][] = [
    ['done', 0, '', 'ok'],
    ['-n and a password is needed', 1, 'sudo: a password is required\n', 'passwordRequired'],
    [
      'wrong password, stdin then empty',
      1,
      'Sorry, try again.\nsudo: no password was provided\nsudo: 1 incorrect password attempt\n',
      'wrongPassword',
    ],
    ['an insult instead of "Sorry"', 1, 'You type like a cat.\nsudo: 1 incorrect password attempt\n', 'wrongPassword'],
    ['not in sudoers', 1, 'rdc1 is not in the sudoers file.\n', 'notAllowed'],
    [
      'not this command',
      1,
      "Sorry, user rdc1 is not allowed to execute '/usr/sbin/usermod -aG docker rdc1' as root on h.\n",
      'notAllowed',
    ],
    ['no sudo at all', 127, 'bash: line 1: sudo: command not found\n', 'noSudo'],
    ['the command failed', 6, "usermod: group 'docker' does not exist\n", 'commandFailed'],
    ['the command is missing', 1, 'sudo: usermod: command not found\n', 'commandFailed'],
  ];
  for (const [what, code, stderr, kind] of cases) {
    it(what, () => assert.equal(classifySudo({ code, stderr }).kind, kind));
  }
});

describe('os-release', () => {
  const debian = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n`;
  const mint = `NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nPRETTY_NAME="Linux Mint 21.3"\nUBUNTU_CODENAME=jammy\n`;
  const rocky = `NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n`;
  const rhel = `NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\n`;
  const fedora = `NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME='Fedora Linux 41'\n`;
  const alpine = `NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="Alpine \\"edge\\""\n`;

  it('reads quoted and plain values', () => {
    assert.deepEqual(parseOsRelease(debian), {
      id: 'debian',
      idLike: [],
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      versionCodename: 'bookworm',
    });
    assert.equal(parseOsRelease(fedora).prettyName, 'Fedora Linux 41');
    assert.equal(parseOsRelease(alpine).prettyName, 'Alpine "edge"');
    assert.equal(parseOsRelease('').id, 'linux');
  });

  it("picks Docker's page by ID, then by ID_LIKE", () => {
    assert.equal(distroFamily(parseOsRelease(debian)), 'debian');
    assert.equal(distroFamily(parseOsRelease(mint)), 'ubuntu');
    assert.equal(distroFamily(parseOsRelease(rocky)), 'centos');
    assert.equal(distroFamily(parseOsRelease(rhel)), 'rhel');
    assert.equal(distroFamily(parseOsRelease(fedora)), 'fedora');
    assert.equal(distroFamily(parseOsRelease(alpine)), 'other');
  });

  it('gives the install commands and the page; no download script, the user quoted', () => {
    const g = installGuide(parseOsRelease(debian), 'ubuntu');
    assert.equal(g.url, 'https://docs.docker.com/engine/install/debian/');
    assert.ok(g.commands.some((c) => c.includes('https://download.docker.com/linux/debian ')));
    assert.ok(g.commands.at(-1)?.startsWith('sudo apt-get install docker-ce '));
    const ubuntu = installGuide(parseOsRelease(mint), "o'b");
    assert.ok(ubuntu.commands.some((c) => c.includes('${UBUNTU_CODENAME:-$VERSION_CODENAME}')));
    assert.deepEqual(ubuntu.afterwards, ['sudo systemctl enable --now docker', `sudo usermod -aG docker 'o'\\''b'`]);
    assert.ok(
      installGuide(parseOsRelease(rocky), 'u').commands.some((c) => c.includes('/linux/centos/docker-ce.repo')),
    );
    assert.ok(installGuide(parseOsRelease(fedora), 'u').commands[0]?.includes('/linux/fedora/docker-ce.repo'));
    const other = installGuide(parseOsRelease(alpine), 'u');
    assert.deepEqual(other.commands, []);
    assert.equal(other.url, 'https://docs.docker.com/engine/install/');
    for (const guide of [g, ubuntu, other]) {
      for (const c of [...guide.commands, ...guide.afterwards]) {
        assert.doesNotMatch(c, /get\.docker\.com|\|\s*(ba)?sh\b/, c);
      }
    }
  });

  it('reads the systemd mark and the file from the one command', () => {
    const f = parseRemoteFacts(`rdc-systemd:yes\nrdc-os-release\n${debian}`);
    assert.equal(f.systemd, true);
    assert.equal(f.os.id, 'debian');
    assert.equal(parseRemoteFacts('rdc-systemd:no\nrdc-os-release\n').systemd, false);
  });
});

describe('what a diagnosis leads to', () => {
  const step = (s: Partial<DiagnoseStep> & Pick<DiagnoseStep, 'id' | 'status'>): DiagnoseStep => ({
    durationMs: 0,
    ...s,
  });

  it('no socket access → add the user to the socket group', () => {
    const needs = setupNeeds([
      step({ id: 'dockerCli', status: 'ok' }),
      step({
        id: 'dockerSocket',
        status: 'failed',
        reason: 'dockerSocketPermission',
        params: { user: 'ubuntu', group: 'docker' },
      }),
    ]);
    assert.deepEqual(needs, [{ kind: 'addToGroup', user: 'ubuntu', group: 'docker' }]);
    assert.equal(needsRemoteFacts(needs), false);
  });

  it('daemon not running → systemctl only where systemd runs the host', () => {
    const needs = setupNeeds([
      step({ id: 'dockerSocket', status: 'failed', reason: 'daemonNotRunning', fix: { kind: 'startDaemon' } }),
    ]);
    assert.equal(needsRemoteFacts(needs), true);
    assert.deepEqual(setupOffers(needs, { systemd: true }), [{ kind: 'sudo', fix: { kind: 'enableDaemon' } }]);
    assert.deepEqual(setupOffers(needs, { systemd: false }), []);
    assert.deepEqual(setupOffers(needs, undefined), []);
  });

  it('Docker not installed → the install guide', () => {
    const needs = setupNeeds([
      step({ id: 'dockerSocket', status: 'failed', reason: 'dockerSocketMissing', fix: { kind: 'installDocker' } }),
    ]);
    assert.deepEqual(setupOffers(needs, { systemd: false }), [{ kind: 'installGuide' }]);
  });

  it('warnings and successes lead to nothing', () => {
    assert.deepEqual(
      setupNeeds([
        step({ id: 'dockerCli', status: 'warning', reason: 'dockerCliMissing' }),
        step({ id: 'daemon', status: 'ok' }),
      ]),
      [],
    );
  });
});
