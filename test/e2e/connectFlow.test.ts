/**
 * "Connect to a Remote Docker Host…" end to end, from an empty HOME, as a user does it: the
 * packaged extension in code-server, driven through Chromium, against a real OpenSSH sshd with a
 * real account (password login) and a real dockerd behind it. Every step is photographed. The
 * oracles are the real tools: afterwards `docker context ls` lists the new context as current,
 * `docker --context NAME info` reaches the test daemon, and `ssh -o StrictHostKeyChecking=yes
 * ALIAS true` logs in with the key the flow generated and the host key it was told to trust.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { packageExtension, startCodeServer, type CodeServer } from '../support/codeServer';
import {
  DOCKER_CLI,
  createUser,
  requireRoot,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { openWorkbench, screenshotsDirFor, waitUntil, type Workbench } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-docker';
const TITLE = 'Connect to a Remote Docker Host';

describe('e2e: Connect to a Remote Docker Host', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  /** A second account for the cancelled run. */
  let other: TestUser;
  /** An account outside the docker group: diagnose must say so, with the fix. */
  let outsider: TestUser;
  /** An account for the scripted run (command arguments instead of the questions). */
  let scripted: TestUser;
  let home: TempHome;
  let server: CodeServer;
  let wb: Workbench;

  before(async () => {
    requireRoot('the e2e tests');
    // A vsix built elsewhere (e.g. into a private folder while others build the shared one).
    const vsix = process.env.RDC_E2E_VSIX || packageExtension();
    dockerd = await startDockerd();
    sshd = await startSshd({ passwordAuth: true });
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    other = await createUser({ docker: true, dockerHost: dockerd.host });
    outsider = await createUser({ docker: false, dockerHost: dockerd.host });
    scripted = await createUser({ docker: true, dockerHost: dockerd.host });
    home = tempHome();
    const workspace = path.join(home.home, 'project');
    fs.mkdirSync(workspace);
    server = await startCodeServer({ vsix, env: home.env, workspace });
    // A keybinding that runs the command with arguments, as a script or another extension would.
    fs.writeFileSync(
      path.join(server.userDataDir, 'User', 'keybindings.json'),
      JSON.stringify([
        {
          key: 'ctrl+alt+k',
          command: 'remoteDocker.connectToRemoteHost',
          args: {
            destination: `ssh -p ${sshd.port} ${scripted.name}@127.0.0.1`,
            alias: 'e2e-scripted',
            keyPath: path.join(home.sshDir, 'id_ed25519'),
            contextName: 'e2e-scripted',
            description: 'scripted run',
            useNow: false,
          },
        },
      ]),
    );
    wb = await openWorkbench(server.url, {
      screenshotsDir: screenshotsDirFor('connect-flow'),
      serverLogs: () => `${server.logs()}\n${server.extensionLog()}`,
    });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await user?.remove();
    await other?.remove();
    await outsider?.remove();
    await scripted?.remove();
    await sshd?.dispose();
    await dockerd?.stop();
    home?.remove();
  });

  /** The modal dialog (host key question) with its message, detail and buttons. */
  const dialog = () => wb.page.locator('.monaco-dialog-box');

  async function expectStep(prompt: RegExp): Promise<void> {
    await wb.quickPick.waitOpen();
    await waitUntil(
      `a step matching ${prompt}`,
      async () => prompt.test(await wb.inputBox.message()) || prompt.test(await wb.inputBox.placeholder()),
    );
    assert.match(await wb.quickPick.title(), new RegExp(TITLE));
  }

  async function runConnect(): Promise<void> {
    await wb.runCommand(`Remote Docker: ${TITLE}…`);
    // Keep the pointer off the quick input, so no hover hides its title in the screenshots.
    await wb.page.mouse.move(700, 600);
  }

  /**
   * From the command to the password box: a new destination, its alias, an existing key, and the
   * suggested context name and description.
   */
  async function answerUpToPassword(dest: string, alias: string, key: string): Promise<void> {
    await runConnect();
    await waitUntil('the host list', async () =>
      /Which machine runs the Docker daemon/.test(await wb.inputBox.placeholder()),
    );
    await wb.quickPick.pick('Enter a new destination (user@host:port)…');
    await expectStep(/SSH destination/);
    await wb.inputBox.fill(dest);
    await expectStep(/Alias for/);
    await wb.inputBox.fill(alias);
    await expectStep(/Which SSH key/);
    await wb.quickPick.pick(key);
    await expectStep(/Name of the new Docker context/);
    await wb.quickPick.accept();
    await expectStep(/Description of the Docker context/);
    await wb.quickPick.accept();
    await waitUntil(
      'the password box',
      async () => (await wb.quickPick.isOpen()) && /Password for/.test(await wb.quickPick.title()),
      120_000,
    );
  }

  /** Files the flow may write, to compare before and after a run. */
  function snapshotFiles(): Record<string, string | undefined> {
    const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
    return {
      config: read(path.join(home.sshDir, 'config')),
      knownHosts: read(path.join(home.sshDir, 'known_hosts')),
      dockerConfig: read(path.join(home.dockerConfig, 'config.json')),
      contexts: fs.existsSync(path.join(home.dockerConfig, 'contexts', 'meta'))
        ? fs
            .readdirSync(path.join(home.dockerConfig, 'contexts', 'meta'))
            .sort()
            .join(',')
        : '',
      sshDir: fs.readdirSync(home.sshDir).sort().join(','),
      authorized: read(path.join(user.home, '.ssh', 'authorized_keys')),
      otherAuthorized: read(path.join(other.home, '.ssh', 'authorized_keys')),
    };
  }

  it('sets up SSH and a Docker context from an empty HOME, and switches to it', T, async () => {
    const dest = `${user.name}@127.0.0.1:${sshd.port}`;
    assert.deepEqual(fs.readdirSync(home.sshDir), [], 'the flow starts from an empty ~/.ssh');

    await wb.step('workbench loaded', () => wb.waitReady());
    await wb.step('SSH Hosts view is empty', async () => {
      await wb.openViewContainer('Remote Docker');
      await wb.page
        .locator('.pane-header', { hasText: /SSH Hosts/i })
        .first()
        .waitFor({ state: 'visible' });
      await wb.page
        .getByRole('button', { name: 'Connect to a Remote Docker Host…' })
        .first()
        .waitFor({ state: 'visible' });
    });

    await wb.step('destination', async () => {
      await runConnect();
      await expectStep(/SSH destination/);
      await wb.inputBox.fill(dest, { submit: false });
    });
    await wb.quickPick.accept();

    await wb.step('alias', async () => {
      await expectStep(/Alias for/);
      assert.equal(await wb.inputBox.value(), '127.0.0.1', 'suggested alias');
      await wb.inputBox.fill(ALIAS, { submit: false });
    });
    await wb.quickPick.accept();

    await wb.step('key choice', async () => {
      await expectStep(/Which SSH key/);
      const rows = await wb.quickPick.rows();
      assert.deepEqual(
        rows.map((r) => r.label),
        ['Generate a new key…'],
        'an empty ~/.ssh has no key to offer',
      );
    });
    await wb.quickPick.pick('Generate a new key…');

    await wb.step('key name', async () => {
      await expectStep(/File name of the new ed25519 key/);
      assert.equal(await wb.inputBox.value(), 'id_ed25519');
    });
    await wb.quickPick.accept();

    await wb.step('key passphrase (none)', async () => {
      await waitUntil('the passphrase box', async () =>
        /passphrase protects the key/i.test(await wb.inputBox.message()),
      );
      assert.ok(await wb.inputBox.isPassword(), 'the passphrase box hides what is typed');
    });
    await wb.quickPick.accept();

    await wb.step('context name', async () => {
      await expectStep(/Name of the new Docker context/);
      assert.equal(await wb.inputBox.value(), ALIAS);
    });
    await wb.quickPick.accept();

    await wb.step('context description', async () => {
      await expectStep(/Description of the Docker context/);
      assert.equal(await wb.inputBox.value(), `Docker on ${dest} via SSH`);
    });
    await wb.quickPick.accept();

    // The first connection: the host key is shown, in OpenSSH's words, before anything else.
    await wb.step('host key fingerprint', async () => {
      await dialog().waitFor({ state: 'visible', timeout: 120_000 });
      const text = await dialog().innerText();
      assert.match(
        text,
        new RegExp(`The authenticity of host '\\[127\\.0\\.0\\.1\\]:${sshd.port}' can't be established`),
      );
      assert.ok(text.includes(`ED25519 key fingerprint is ${sshd.hostKeyFingerprint}.`), text);
      assert.match(text, /Trust this host and add it to known_hosts\?/);
      assert.equal(fs.existsSync(path.join(home.sshDir, 'known_hosts')), false, 'nothing is trusted before the answer');
      assert.ok(fs.existsSync(path.join(home.sshDir, 'id_ed25519')), 'the key is generated first');
      assert.equal(
        fs.existsSync(path.join(home.sshDir, 'config')),
        false,
        'the config block waits for a working login',
      );
    });
    await dialog().locator('.monaco-button', { hasText: 'Trust Host' }).click();

    // The new key does not log in yet: the password, once, in a box that hides it.
    await wb.step('password typed', async () => {
      await waitUntil(
        'the password box',
        async () => (await wb.quickPick.isOpen()) && /Password for/.test(await wb.quickPick.title()),
        120_000,
      );
      assert.equal(await wb.quickPick.title(), `Password for ${dest}`);
      assert.ok(await wb.inputBox.isPassword(), 'the password box hides what is typed');
      await wb.inputBox.fill(user.password, { submit: false });
    });
    await wb.quickPick.accept();

    await wb.step('use now', async () => {
      await waitUntil(
        'the "Use now" question',
        async () => (await wb.quickPick.isOpen()) && /is ready/.test(await wb.quickPick.title()),
        180_000,
      );
      assert.equal(await wb.quickPick.title(), `Docker context "${ALIAS}" is ready`);
    });
    await wb.quickPick.pick('Use now');

    await wb.step('context current in the views', async () => {
      await wb.waitForTreeRow(ALIAS, 'Docker Contexts');
      await waitUntil(
        'the context marked current',
        async () =>
          /current/.test((await wb.treeRows('Docker Contexts')).find((r) => r.label === ALIAS)?.description ?? ''),
        60_000,
      );
      await wb.waitForTreeRow(ALIAS, 'SSH Hosts');
      const hostRow = (await wb.treeRows('SSH Hosts')).find((r) => r.label === ALIAS);
      assert.ok(hostRow, 'the new host is listed');
      assert.match(hostRow.description, new RegExp(`^${user.name}@127\\.0\\.0\\.1:${sshd.port} · context: ${ALIAS}$`));
    });

    // Files, as the real tools read them.
    const config = fs.readFileSync(path.join(home.sshDir, 'config'), 'utf8');
    assert.match(
      config,
      new RegExp(
        `^Host ${ALIAS}\\n  HostName 127\\.0\\.0\\.1\\n  User ${user.name}\\n  Port ${sshd.port}\\n  IdentityFile ~/\\.ssh/id_ed25519\\n  IdentitiesOnly yes\\n`,
        'm',
      ),
    );
    assert.equal(fs.statSync(path.join(home.sshDir, 'config')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(home.sshDir, 'id_ed25519')).mode & 0o777, 0o600);
    const authorized = fs.readFileSync(path.join(user.home, '.ssh', 'authorized_keys'), 'utf8');
    const pub = fs.readFileSync(path.join(home.sshDir, 'id_ed25519.pub'), 'utf8').trim();
    assert.ok(authorized.split('\n').includes(pub), 'the public key is in authorized_keys on the host');

    const env = { ...home.env };
    const ssh = await runProcess('ssh', ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', ALIAS, 'true'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(ssh.code, 0, `ssh ${ALIAS} true: ${ssh.stderr}`);

    const ls = await runProcess(
      DOCKER_CLI,
      ['context', 'ls', '--format', '{{.Name}} {{.Current}} {{.DockerEndpoint}}'],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(ls.code, 0, ls.stderr);
    assert.ok(ls.stdout.split('\n').includes(`${ALIAS} true ssh://${ALIAS}`), ls.stdout);
    const info = await runProcess(DOCKER_CLI, ['info', '--format', '{{.Name}}|{{.OperatingSystem}}'], {
      env,
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, `docker info through the new current context: ${info.stderr}`);
    assert.match(info.stdout.trim(), /\|.+/);
  });

  it(
    'run again for the same host: every step already done is detected and skipped (no password, no host key question)',
    T,
    async () => {
      const before = snapshotFiles();
      const logins = await sshd.acceptedLogins();
      await wb.step('again: pick the existing host', async () => {
        await runConnect();
        await waitUntil('the host list', async () =>
          /Which machine runs the Docker daemon/.test(await wb.inputBox.placeholder()),
        );
        const rows = await wb.quickPick.rows();
        assert.ok(
          rows.some((r) => r.label === ALIAS),
          JSON.stringify(rows),
        );
      });
      await wb.quickPick.pick(ALIAS);
      await wb.step('again: nothing left to do', async () => {
        const note = await wb.notification(/is ready and already in use/, 180_000);
        assert.match(note.text, new RegExp(`Docker context "${ALIAS}" is ready and already in use`));
      });
      assert.equal(await dialog().isVisible(), false, 'no host key question for a trusted host');
      assert.deepEqual(snapshotFiles(), before, 'nothing was written');
      // The key-only login, then diagnose's: no password login in between.
      assert.ok((await sshd.acceptedLogins()) >= logins + 2);
      assert.doesNotMatch(sshd.log().split('\n').slice(-50).join('\n'), /Accepted password/);
      const log = server.extensionLog();
      assert.match(log, /generateKey \(skip: keyExists\)/);
      assert.match(log, /writeConfig \(skip: aliasExists\)/);
      assert.match(log, /createContext \(skip: contextExists\)/);
      assert.match(log, /already logs in/);
    },
  );

  it(
    'Escape at the password box leaves every file consistent: no Host block, no context; the new key is kept and named in the log',
    T,
    async () => {
      const before = snapshotFiles();
      const dest = `${other.name}@127.0.0.1:${sshd.port}`;
      const passphrase = 'correct horse battery';
      await runConnect();
      await waitUntil('the host list', async () =>
        /Which machine runs the Docker daemon/.test(await wb.inputBox.placeholder()),
      );
      await wb.quickPick.pick('Enter a new destination (user@host:port)…');
      await expectStep(/SSH destination/);
      await wb.inputBox.fill(dest);
      await expectStep(/Alias for/);
      await wb.inputBox.fill('e2e-cancel');
      await wb.step('cancel run: existing key offered', async () => {
        await expectStep(/Which SSH key/);
        const rows = await wb.quickPick.rows();
        assert.deepEqual(
          rows.map((r) => r.label),
          ['Generate a new key…', 'id_ed25519'],
        );
      });
      await wb.quickPick.pick('Generate a new key…');
      await wb.step('cancel run: a free key name is suggested', async () => {
        await expectStep(/File name of the new ed25519 key/);
        assert.equal(await wb.inputBox.value(), 'id_ed25519_e2e-cancel');
      });
      await wb.quickPick.accept();
      await waitUntil('the passphrase box', async () =>
        /passphrase protects the key/i.test(await wb.inputBox.message()),
      );
      await wb.inputBox.fill(passphrase);
      await waitUntil('the passphrase confirmation', async () =>
        /same passphrase again/i.test(await wb.inputBox.message()),
      );
      await wb.inputBox.fill(passphrase);
      await expectStep(/Name of the new Docker context/);
      await wb.quickPick.accept();
      await expectStep(/Description of the Docker context/);
      await wb.quickPick.accept();
      await wb.step('cancel run: password box', async () => {
        await waitUntil(
          'the password box',
          async () => (await wb.quickPick.isOpen()) && /Password for/.test(await wb.quickPick.title()),
          120_000,
        );
        assert.equal(await wb.quickPick.title(), `Password for ${dest}`);
        assert.equal(await dialog().isVisible(), false, 'the host key of this server is trusted already');
      });
      await wb.quickPick.cancel();
      await wb.step('cancel run: cancelled', async () => {
        await waitUntil(
          'the log of the stop',
          async () => /Connect to a Remote Docker Host: stopped for "e2e-cancel"/.test(server.extensionLog()),
          60_000,
        );
      });

      const after = snapshotFiles();
      assert.equal(after.config, before.config, 'no Host block was written');
      assert.equal(after.knownHosts, before.knownHosts);
      assert.equal(after.contexts, before.contexts, 'no context was created');
      assert.equal(after.dockerConfig, before.dockerConfig);
      assert.equal(after.otherAuthorized, undefined, 'nothing was installed on the host');
      assert.equal(
        after.sshDir,
        [before.sshDir, 'id_ed25519_e2e-cancel', 'id_ed25519_e2e-cancel.pub'].join(',').split(',').sort().join(','),
      );
      const keyFile = path.join(home.sshDir, 'id_ed25519_e2e-cancel');
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      assert.match(
        server.extensionLog(),
        new RegExp(`Written so far: the new key ${keyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      // The kept key is encrypted with the passphrase typed twice (ssh-keygen is the oracle).
      const withPhrase = await runProcess('/usr/bin/ssh-keygen', ['-y', '-P', passphrase, '-f', keyFile], {
        timeoutMs: 30_000,
      });
      assert.equal(withPhrase.code, 0, withPhrase.stderr);
      assert.equal(
        withPhrase.stdout.trim().split(' ').slice(0, 2).join(' '),
        fs.readFileSync(`${keyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
      );
      const without = await runProcess('/usr/bin/ssh-keygen', ['-y', '-P', '', '-f', keyFile], { timeoutMs: 30_000 });
      assert.notEqual(without.code, 0, 'the key needs its passphrase');
    },
  );

  it(
    'the Cancel button of the progress notification stops the flow at the password box; nothing is written',
    T,
    async () => {
      const before = snapshotFiles();
      const logBefore = server.extensionLog().length;
      await answerUpToPassword(`${other.name}@127.0.0.1:${sshd.port}`, 'e2e-cancel-2', 'id_ed25519_e2e-cancel');
      await wb.step('progress cancel: password box and notification', async () => {
        const progress = await wb.notification(/Connect to a Remote Docker Host/);
        await progress.clickButton('Cancel');
      });
      await wb.step('progress cancel: stopped', async () => {
        await waitUntil(
          'the log of the stop',
          async () => /stopped for "e2e-cancel-2"\. Nothing was written\./.test(server.extensionLog().slice(logBefore)),
          60_000,
        );
        await wb.quickPick.waitClosed();
      });
      assert.deepEqual(snapshotFiles(), before, 'nothing was written');
    },
  );

  it(
    'a host where docker is not usable yet: the report shows the fix (copyable), "Stop Here" keeps the working SSH setup and creates no context',
    T,
    async () => {
      const dest = `${outsider.name}@127.0.0.1:${sshd.port}`;
      const contextsBefore = snapshotFiles().contexts;
      await wb.page
        .context()
        .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
      await answerUpToPassword(dest, 'e2e-nogroup', 'id_ed25519');
      await wb.inputBox.fill(outsider.password);
      await wb.step('no docker group: report', async () => {
        await waitUntil(
          'the report',
          async () => (await wb.quickPick.isOpen()) && /does not work yet/.test(await wb.quickPick.title()),
          180_000,
        );
        assert.equal(await wb.quickPick.title(), 'Docker on e2e-nogroup does not work yet');
        const rows = await wb.quickPick.rows();
        const socket = rows.find((r) => r.label === 'Docker socket is reachable');
        assert.match(socket?.description ?? '', /^failed/);
        assert.ok(socket?.detail.includes(`sudo usermod -aG docker ${outsider.name}`), socket?.detail);
        assert.ok(rows.find((r) => r.label === 'Login works')?.description.startsWith('ok'));
        assert.deepEqual(
          rows.slice(-2).map((r) => r.label),
          ['Create the Context Anyway', 'Stop Here'],
        );
      });
      await wb.step('no docker group: fix copied', async () => {
        await wb.quickPick.pick('Docker socket is reachable');
        await waitUntil('the copy confirmation', async () =>
          /^Copied: sudo usermod -aG docker /.test(await wb.inputBox.placeholder()),
        );
        const clip = await wb.page.evaluate(() =>
          (
            globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
          ).navigator.clipboard.readText(),
        );
        assert.equal(clip, `sudo usermod -aG docker ${outsider.name}`);
      });
      await wb.quickPick.pick('Stop Here');
      await wb.step('no docker group: stopped', () =>
        wb.notification(/SSH to "e2e-nogroup" is set up; no Docker context was created/, 60_000),
      );
      assert.match(
        fs.readFileSync(path.join(home.sshDir, 'config'), 'utf8'),
        new RegExp(`^Host e2e-nogroup\\n  HostName 127\\.0\\.0\\.1\\n  User ${outsider.name}\\n`, 'm'),
      );
      assert.equal(snapshotFiles().contexts, contextsBefore, 'no context was created');
      const ssh = await runProcess(
        'ssh',
        ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'e2e-nogroup', 'true'],
        { env: { ...home.env }, timeoutMs: 60_000 },
      );
      assert.equal(ssh.code, 0, `the SSH part works: ${ssh.stderr}`);
    },
  );

  it('with command arguments every question is prefilled; only the password is still asked', T, async () => {
    const current = JSON.parse(fs.readFileSync(path.join(home.dockerConfig, 'config.json'), 'utf8')).currentContext;
    await wb.page.locator('.monaco-workbench').click({ position: { x: 700, y: 600 } });
    await wb.page.keyboard.press('Control+Alt+K');
    await wb.step('scripted: only the password', async () => {
      await waitUntil(
        'the password box',
        async () => (await wb.quickPick.isOpen()) && /Password for/.test(await wb.quickPick.title()),
        120_000,
      );
      assert.equal(await wb.quickPick.title(), `Password for ${scripted.name}@127.0.0.1:${sshd.port}`);
      await wb.inputBox.fill(scripted.password, { submit: false });
    });
    await wb.quickPick.accept();
    await wb.step('scripted: done', () => wb.waitForTreeRow('e2e-scripted', 'Docker Contexts', 120_000));
    const ls = await runProcess(
      DOCKER_CLI,
      ['context', 'ls', '--format', '{{.Name}}|{{.Description}}|{{.DockerEndpoint}}'],
      { env: { ...home.env }, timeoutMs: 60_000 },
    );
    assert.ok(ls.stdout.split('\n').includes('e2e-scripted|scripted run|ssh://e2e-scripted'), ls.stdout);
    assert.equal(
      JSON.parse(fs.readFileSync(path.join(home.dockerConfig, 'config.json'), 'utf8')).currentContext,
      current,
      'useNow: false leaves the current context',
    );
    const info = await runProcess(DOCKER_CLI, ['--context', 'e2e-scripted', 'info', '--format', '{{.ServerVersion}}'], {
      env: { ...home.env },
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, info.stderr);
  });

  it('never writes a password or passphrase to the log', T, () => {
    const log = server.extensionLog();
    // Kept beside the screenshots: what a user would paste into a bug report.
    fs.writeFileSync(path.join(screenshotsDirFor('connect-flow'), 'extension.log'), log);
    assert.ok(log.includes('Connect to a Remote Docker Host'), 'the log was found');
    assert.ok(!log.includes(user.password), 'password of the first run');
    assert.ok(!log.includes('correct horse battery'), 'passphrase of the cancelled run');
    assert.ok(!log.includes(outsider.password), 'password of the run without docker access');
    assert.ok(!log.includes(scripted.password), 'password of the scripted run');
  });
});
