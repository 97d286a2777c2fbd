/**
 * The Docker Contexts view, the status bar item and the context commands in a real VS Code
 * (code-server + Chromium), checked against the real docker CLI.
 *
 * One code-server serves the whole file (starting one takes seconds). Its environment has a temp
 * HOME and DOCKER_CONFIG and neither DOCKER_HOST nor DOCKER_CONTEXT; every CLI call below uses
 * that same environment, so the CLI is the oracle for what a terminal would see. Each test first
 * brings the store into the state it needs through the CLI, so a failure stays local to its test.
 * Every step leaves a screenshot under test-results/screenshots/docker-contexts/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { packageExtension, startCodeServer, type CodeServer } from '../support/codeServer';
import { requireRoot } from '../support/requireRoot';
import { appendSshConfig, sshHostBlock, tempHome, type TempHome } from '../support/tempHome';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  contextRows,
  currentContextRows,
  showsName,
  statusText as readStatus,
} from '../support/contextsUi';
import { DockerCli } from '../support/dockerCli';
import { openWorkbench, screenshotsDirFor, waitFor, type Workbench } from '../support/workbench';

const T = { timeout: 300_000 };

/**
 * Contexts made with `docker context create` before VS Code starts: some through an alias of the
 * SSH configuration (as the SSH Hosts view makes them), some with the whole URL typed.
 */
const SEEDED = [
  { name: 'prod-eu', host: 'ssh://prod-eu', description: 'Production, Frankfurt' },
  { name: 'staging', host: 'ssh://ubuntu@staging.example.com:2222', description: 'Staging server' },
  { name: 'build-server', host: 'ssh://build-server', description: 'CI build machine in the office' },
  { name: 'gpu-box', host: 'ssh://ml@gpu-box.internal', description: 'Training machine' },
];

/** The SSH configuration of the temp home (nothing ever connects to these hosts). */
const SSH_CONFIG = [
  sshHostBlock({ alias: 'prod-eu', hostName: 'prod-eu.example.com', user: 'deploy', port: 22 }),
  sshHostBlock({ alias: 'build-server', hostName: '192.0.2.10', user: 'ci', port: 22 }),
  sshHostBlock({ alias: 'bastion', hostName: 'bastion.example.com', user: 'ops', port: 2200 }),
].join('\n');

describe('Docker contexts in a real VS Code', () => {
  let home: TempHome;
  let server: CodeServer;
  let wb: Workbench;
  let cli: DockerCli;

  const rows = () => contextRows(wb);
  const currentRows = () => currentContextRows(wb);
  const statusText = () => readStatus(wb);

  /** Waits until the tree marks exactly `name` as current and the status bar shows it. */
  const waitUiCurrent = async (name: string): Promise<void> => {
    await waitFor(`the tree to mark "${name}" current`, currentRows, (c) => c.length === 1 && c[0] === name);
    await waitFor(`the status bar to show "${name}"`, statusText, (t) => showsName(t, name));
  };

  /** Sets the current context with the CLI and waits until the UI follows (a precondition, not a check). */
  const useViaCli = async (name: string): Promise<void> => {
    await cli.run(['context', 'use', name]);
    await waitUiCurrent(name);
  };

  /**
   * Waits for step 2 of Create Docker Context: an input box, preceded by a pick of suggested
   * endpoints when some feature offers suggestions (then "Enter an endpoint URL…" leads to it).
   */
  const waitEndpointStep = async (): Promise<void> => {
    const typeIt = wb.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'Enter an endpoint URL…' })
      .first();
    await waitFor(
      'the endpoint step',
      async () => ({
        title: await wb.quickPick.title(),
        message: await wb.inputBox.message(),
        pick: await typeIt.isVisible(),
      }),
      (s) => /2\s*\/\s*3/.test(s.title) && (/Docker endpoint/.test(s.message) || s.pick),
    );
    if (await typeIt.isVisible()) {
      await typeIt.click();
      await waitFor(
        'the endpoint input box',
        () => wb.inputBox.message(),
        (m) => /Docker endpoint/.test(m),
      );
    }
  };

  before(async () => {
    requireRoot('the e2e tests');
    home = tempHome();
    cli = new DockerCli(home.env);
    appendSshConfig(home.home, SSH_CONFIG);
    for (const c of SEEDED) {
      await cli.run(['context', 'create', c.name, '--docker', `host=${c.host}`, '--description', c.description]);
    }
    await cli.run(['context', 'use', 'prod-eu']);
    const workspace = path.join(home.home, 'project');
    fs.mkdirSync(workspace);
    fs.writeFileSync(
      path.join(workspace, 'compose.yaml'),
      'services:\n  web:\n    build: .\n    ports:\n      - "8080:80"\n',
    );
    server = await startCodeServer({
      vsix: packageExtension(),
      env: home.env,
      workspace,
      settings: {
        // VS Code's default dark theme: the README screenshot is taken from this run.
        'workbench.colorTheme': 'Default Dark Modern',
        'remote.autoForwardPorts': false,
        // Creating an ssh:// context first logs in once; these hosts are made up and the tests stay
        // on this machine. That check has its own e2e tests against a loopback sshd.
        'remoteDocker.ssh.checkConnectionOnCreate': false,
      },
    });
    wb = await openWorkbench(server.url, {
      screenshotsDir: screenshotsDirFor('docker contexts'),
      // Smaller than the default so the README screenshot stays legible when scaled down.
      viewport: { width: 1280, height: 800 },
      serverLogs: () => `${server.logs()}\n--- extension output channels ---\n${server.outputChannelLogs()}`,
    });
    await wb.step('workbench loaded', () => wb.waitReady());
    await wb.step('remote docker sidebar', async () => {
      await wb.openViewContainer(CONTAINER);
      await wb.waitForTreeRow('default', VIEW, 60_000);
      // Room for whole endpoints, and a file open as in real work: the screenshots show what a user sees.
      await wb.setSidebarWidth(460);
      await wb.openFile('compose.yaml');
    });
  });

  beforeEach(async () => {
    // A failed test must not leave a menu or picker that blocks the next one.
    await wb?.dismissTransient();
  });

  afterEach(async () => {
    // An error the extension (or VS Code) showed is a failure even when every check passed.
    const errors = (await wb?.errorNotifications()) ?? [];
    assert.deepEqual(errors, [], 'no error notification');
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    home?.remove();
  });

  it(
    "lists the contexts the CLI created plus default, in the CLI's order, with the current one marked",
    T,
    async () => {
      const expected = await cli.list();
      assert.deepEqual(expected.map((c) => c.Name).sort(), [
        'build-server',
        'default',
        'gpu-box',
        'prod-eu',
        'staging',
      ]);
      await wb.step('contexts listed', async () => {
        const shown = await waitFor('the tree to list every CLI context', rows, (r) => r.length === expected.length);
        assert.deepEqual(
          shown.map((r) => r.name),
          expected.map((c) => c.Name),
          'names in the order of docker context ls',
        );
        for (const [i, c] of expected.entries()) {
          const row = shown[i];
          assert.ok(
            row.description.startsWith(c.DockerEndpoint),
            `${c.Name}: description "${row.description}" starts with the endpoint ${c.DockerEndpoint}`,
          );
          assert.equal(row.current, c.Current, `${c.Name} marked current in the tree exactly when the CLI says so`);
          // After the endpoint the label may name what the lazy engine probe found (OS and architecture, or why not).
          assert.ok(
            row.ariaLabel.startsWith(`${c.Name}, ${c.DockerEndpoint}`),
            `${c.Name}: aria label "${row.ariaLabel}"`,
          );
          assert.equal(
            row.ariaLabel.endsWith(', current context'),
            c.Current,
            `${c.Name}: aria label "${row.ariaLabel}" says current exactly when the CLI does`,
          );
        }
        assert.equal(await cli.show(), 'prod-eu');
        assert.deepEqual(await currentRows(), ['prod-eu']);
        assert.match(shown.find((r) => r.name === 'prod-eu')?.description ?? '', /· current$/);
      });
      await wb.step('status bar shows the current context', async () => {
        await waitFor('the status bar to show "prod-eu"', statusText, (t) => showsName(t, 'prod-eu'));
        assert.match(await wb.statusBarItem(STATUS_ID).ariaLabel(), /Docker context prod-eu/);
      });
      // The README's media/screenshot-contexts.png is a copy of this step's screenshot.
      await wb.step('tooltip of a context shows its description', async () => {
        const tip = await wb.hoverText(wb.treeRow('staging', VIEW).locator('.label-name'));
        const seeded = SEEDED.find((c) => c.name === 'staging');
        assert.ok(seeded);
        assert.ok(tip.includes(seeded.description), `tooltip "${tip}" has the description`);
        assert.ok(tip.includes(seeded.host), `tooltip "${tip}" has the endpoint`);
      });
    },
  );

  it(
    'switches when a context is clicked in the tree; docker context show agrees and the status bar follows',
    T,
    async () => {
      await useViaCli('prod-eu');
      await wb.step('click staging', async () => {
        await wb.clickTreeRow('staging', VIEW);
        await waitFor(
          'docker context show to print staging',
          () => cli.show(),
          (s) => s === 'staging',
        );
        await waitUiCurrent('staging');
      });
      assert.deepEqual(
        (await cli.list()).filter((c) => c.Current).map((c) => c.Name),
        ['staging'],
      );
      assert.ok(showsName(await statusText(), 'staging'));
      assert.equal(showsName(await statusText(), 'prod-eu'), false);
    },
  );

  it(
    'opens the "Use Docker Context" picker from the status bar with the current context marked, and switches',
    T,
    async () => {
      await useViaCli('prod-eu');
      const picked = await wb.step('status bar click opens the picker', async () => {
        await wb.statusBarItem(STATUS_ID).click();
        await wb.quickPick.waitOpen();
        const title = await wb.quickPick.title();
        assert.match(title, /Use Docker Context/);
        const items = await waitFor(
          'the picker rows',
          () => wb.quickPick.rows(),
          (r) => r.some((x) => x.label === 'prod-eu'),
        );
        for (const c of await cli.list()) {
          const item = items.find((x) => x.label === c.Name);
          assert.ok(item, `picker offers ${c.Name}: ${JSON.stringify(items)}`);
          // Rows show the endpoint, and the description the CLI lists (the current row says "current" instead).
          assert.ok(item.detail.startsWith(c.DockerEndpoint), `${c.Name}: detail "${item.detail}"`);
          if (!c.Current) {
            assert.equal(item.description, c.Description, `${c.Name}: description`);
          }
        }
        assert.ok(
          items.some((x) => /Create Docker Context/.test(x.label)),
          'picker offers Create Docker Context…',
        );
        const current = items.filter((x) => /^current\b/.test(x.description));
        assert.deepEqual(
          current.map((x) => x.label),
          ['prod-eu'],
          `only the current context is marked: ${JSON.stringify(items)}`,
        );
        assert.equal(await wb.quickPick.activeLabel(), 'prod-eu', 'the current context is the active row');
        return 'build-server';
      });
      await wb.step('pick build-server', async () => {
        await wb.quickPick.pick(picked);
        await wb.quickPick.waitClosed();
        await waitFor(
          'docker context show to print build-server',
          () => cli.show(),
          (s) => s === 'build-server',
        );
        await waitUiCurrent('build-server');
      });
    },
  );

  it(
    "creates a context through the palette that docker context inspect reads back, after rejecting an invalid name with the CLI's rule",
    T,
    async () => {
      await useViaCli('build-server');
      const name = 'from-palette';
      const endpoint = 'ssh://user@example.com:2222';
      const description = 'Made with the Create Docker Context command';
      const bad = 'a';
      const cliRule = await cli.rejectedNameRule(bad);

      await wb.step('create: invalid name', async () => {
        await wb.runCommand('Create Docker Context…');
        await wb.inputBox.fill(bad, { submit: false });
        const msg = await waitFor(
          'the validation message',
          () => wb.inputBox.message(),
          (m) => m.includes(cliRule),
        );
        assert.ok(msg.includes(bad), `message names the value: ${msg}`);
        assert.ok(await wb.inputBox.messageVisible(), 'the message is visible');
        // Enter on an invalid value is ignored: the same step stays open.
        await wb.quickPick.accept();
        await wb.settle();
        assert.ok(await wb.quickPick.isOpen());
        assert.equal(await wb.inputBox.value(), bad);
      });
      await wb.step('create: name accepted, endpoint asked', async () => {
        await wb.inputBox.fill(name, { submit: false });
        await waitFor(
          'the validation message to clear',
          () => wb.inputBox.message(),
          (m) => !m.includes(cliRule),
        );
        await wb.quickPick.accept();
        await waitEndpointStep();
      });
      await wb.step('create: endpoint accepted, description asked', async () => {
        await wb.inputBox.fill(endpoint);
        await waitFor(
          'the description step',
          () => wb.inputBox.message(),
          (m) => /Description/.test(m),
        );
      });
      await wb.step('create: created, "Use now" asked', async () => {
        await wb.inputBox.fill(description);
        await waitFor(
          'the "Use now" question',
          () => wb.quickPick.rows(),
          (r) => r.some((x) => x.label === 'Use now'),
        );
        // The context exists before the question is answered, and creating alone does not switch.
        const inspected = await cli.inspect(name);
        assert.equal(inspected.Name, name);
        assert.equal(inspected.Endpoints.docker.Host, endpoint);
        assert.equal(inspected.Metadata.Description, description);
        assert.equal(await cli.show(), 'build-server');
        await wb.waitForTreeRow(name, VIEW);
      });
      await wb.step('create: used now', async () => {
        await wb.quickPick.pick('Use now');
        await wb.quickPick.waitClosed();
        await waitFor(
          `docker context show to print ${name}`,
          () => cli.show(),
          (s) => s === name,
        );
        await waitUiCurrent(name);
      });
      const listed = (await cli.list()).find((c) => c.Name === name);
      assert.ok(listed, 'docker context ls lists it');
      assert.equal(listed.DockerEndpoint, endpoint);
      assert.equal(listed.Description, description);
    },
  );

  it(
    'follows a terminal: a context created, used and removed with the CLI shows up, moves the marker and disappears without a reload',
    T,
    async () => {
      await useViaCli('prod-eu');
      const name = 'from-terminal';
      await wb.step('terminal: docker context create', async () => {
        await cli.run([
          'context',
          'create',
          name,
          '--docker',
          'host=tcp://127.0.0.1:2375',
          '--description',
          'made in a terminal',
        ]);
        await wb.waitForTreeRow(name, VIEW, 10_000);
        const row = (await rows()).find((r) => r.name === name);
        assert.ok(row);
        assert.ok(row.description.startsWith('tcp://127.0.0.1:2375'));
        assert.equal(row.current, false);
        assert.deepEqual(await currentRows(), ['prod-eu']);
      });
      await wb.step('terminal: docker context use', async () => {
        await cli.run(['context', 'use', name]);
        await waitUiCurrent(name);
      });
      await wb.step('terminal: docker context rm -f', async () => {
        await cli.run(['context', 'rm', '-f', name]);
        await waitFor(`the ${name} row to go`, rows, (r) => !r.some((x) => x.name === name));
        assert.equal(await cli.show(), 'default');
        await waitUiCurrent('default');
      });
      assert.deepEqual(
        (await rows()).map((r) => r.name),
        (await cli.list()).map((c) => c.Name),
      );
    },
  );

  it(
    "removes a context from the tree's context menu after a modal confirm, and falls back to default when the current one is removed",
    T,
    async () => {
      await useViaCli('prod-eu');
      await wb.step('remove gpu-box: confirm dialog', async () => {
        await wb.treeRowContextMenu('gpu-box', 'Remove Docker Context…', VIEW);
        const dialog = await wb.modalDialog();
        assert.match(dialog.text, /Remove Docker context "gpu-box" \(ssh:\/\/ml@gpu-box\.internal\)\?/);
        assert.match(dialog.detail, /cannot be undone/);
      });
      await wb.step('remove gpu-box: cancelled, nothing removed', async () => {
        const dialog = await wb.modalDialog();
        await dialog.clickButton('Cancel');
        await dialog.waitClosed();
        await wb.settle();
        assert.ok(
          (await cli.list()).some((c) => c.Name === 'gpu-box'),
          'cancel keeps it',
        );
        assert.ok((await rows()).some((r) => r.name === 'gpu-box'));
      });
      await wb.step('remove gpu-box: confirmed, removed', async () => {
        await wb.treeRowContextMenu('gpu-box', 'Remove Docker Context…', VIEW);
        const dialog = await wb.modalDialog();
        await dialog.clickButton('Remove');
        await dialog.waitClosed();
        await waitFor(
          'docker context ls to drop gpu-box',
          () => cli.list(),
          (l) => !l.some((c) => c.Name === 'gpu-box'),
        );
        await waitFor('the gpu-box row to go', rows, (r) => !r.some((x) => x.name === 'gpu-box'));
        assert.equal(await cli.show(), 'prod-eu', 'removing another context keeps the current one');
        assert.deepEqual(await currentRows(), ['prod-eu']);
      });

      const doomed = 'old-box';
      await cli.run([
        'context',
        'create',
        doomed,
        '--docker',
        'host=ssh://root@old-box.example.com',
        '--description',
        'to be retired',
      ]);
      await wb.waitForTreeRow(doomed, VIEW);
      await useViaCli(doomed);
      await wb.step('remove current: picker from the palette', async () => {
        await wb.runCommand('Remove Docker Context…');
        const items = await waitFor(
          'the remove picker',
          () => wb.quickPick.rows(),
          (r) => r.some((x) => x.label === doomed),
        );
        assert.equal(
          items.some((x) => x.label === 'default'),
          false,
          'default is not offered for removal',
        );
      });
      await wb.step('remove current: confirm dialog', async () => {
        await wb.quickPick.pick(doomed);
        const dialog = await wb.modalDialog();
        assert.match(dialog.text, new RegExp(`Remove the current Docker context "${doomed}"`));
        assert.match(dialog.detail, /falls back to "default"/);
      });
      await wb.step('remove current: removed, default is current', async () => {
        const dialog = await wb.modalDialog();
        await dialog.clickButton('Remove');
        await dialog.waitClosed();
        await waitFor(
          `docker context ls to drop ${doomed}`,
          () => cli.list(),
          (l) => !l.some((c) => c.Name === doomed),
        );
        assert.equal(await cli.show(), 'default');
        await waitUiCurrent('default');
      });
      assert.deepEqual(
        (await rows()).map((r) => r.name),
        (await cli.list()).map((c) => c.Name),
      );
    },
  );

  it('"Switch Back to Previous Docker Context" returns to the context used before, like cd -', T, async () => {
    await useViaCli('default');
    await wb.step('click staging', async () => {
      await wb.clickTreeRow('staging', VIEW);
      await waitFor(
        'docker context show to print staging',
        () => cli.show(),
        (s) => s === 'staging',
      );
      await waitUiCurrent('staging');
    });
    await wb.step('switch back: default', async () => {
      await wb.runCommand('Switch Back to Previous Docker Context');
      await waitFor(
        'docker context show to print default',
        () => cli.show(),
        (s) => s === 'default',
      );
      await waitUiCurrent('default');
    });
    await wb.step('switch back again: staging', async () => {
      await wb.runCommand('Switch Back to Previous Docker Context');
      await waitFor(
        'docker context show to print staging',
        () => cli.show(),
        (s) => s === 'staging',
      );
      await waitUiCurrent('staging');
    });
  });

  it(
    'inspects a context in a read-only JSON editor whose content is what docker context inspect prints',
    T,
    async () => {
      await useViaCli('staging');
      await wb.step('inspect prod-eu from the context menu', async () => {
        await wb.treeRowContextMenu('prod-eu', 'Inspect Docker Context', VIEW);
        await waitFor(
          'the prod-eu.json editor tab',
          () => wb.activeEditorTitle(),
          (t) => t.startsWith('prod-eu'),
        );
        const text = await waitFor(
          'the editor to show JSON',
          () => wb.editorText(),
          (t) => t.includes('"prod-eu"'),
        );
        const shown: unknown = JSON.parse(text);
        const expected = await cli.inspectRaw('prod-eu');
        assert.deepEqual(Array.isArray(shown) ? shown : [shown], expected);
      });
      await wb.step('inspect editor is read-only', async () => {
        const before = await wb.editorText();
        await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
        await wb.page.keyboard.type('xyz');
        await wb.page
          .locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' })
          .waitFor({ state: 'visible' });
        assert.equal(await wb.editorText(), before);
        assert.equal(await wb.statusBarItem('status.editor.mode').text(), 'JSON');
      });
      await wb.step('inspect default from the palette', async () => {
        await wb.runCommand('Inspect Docker Context');
        await wb.quickPick.pick('default');
        await waitFor(
          'the default.json editor tab',
          () => wb.activeEditorTitle(),
          (t) => t.startsWith('default'),
        );
        const text = await waitFor(
          'the editor to show JSON',
          () => wb.editorText(),
          (t) => t.includes('IN MEMORY'),
        );
        const shown: unknown = JSON.parse(text);
        assert.deepEqual(Array.isArray(shown) ? shown : [shown], await cli.inspectRaw('default'));
      });
    },
  );
});
