/**
 * The Docker Contexts view, the status bar item and the context commands in a real VS Code
 * (code-server + Chromium), checked against the real docker CLI.
 *
 * One code-server serves the whole file (starting one takes seconds). Its environment has a temp
 * HOME and DOCKER_CONFIG and neither DOCKER_HOST nor DOCKER_CONTEXT; every CLI call below uses
 * that same environment, so the CLI is the oracle for what a terminal would see. Each test first
 * brings the store into the state it needs through the CLI, so a failure stays local to its test.
 * Every step leaves a screenshot under test-results/screenshots/docker-contexts/.
 *
 * The file is longer than the project's ~400 lines on purpose: its checks share one code-server
 * session (starting one costs 10–20 s here), and each check is a separate `it` with its own setup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendSshConfig, sshHostBlock } from '../support/tempHome';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  contextRows,
  currentContextRows,
  showsName,
  statusText as readStatus,
} from '../support/contextsUi';
import { e2eSession } from '../support/e2eSession';
import { waitFor } from '../support/workbench';

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
  const s = e2eSession({
    name: 'docker contexts',
    prepare: async ({ home, cli }) => {
      appendSshConfig(home.home, SSH_CONFIG);
      for (const c of SEEDED) {
        await cli.run(['context', 'create', c.name, '--docker', `host=${c.host}`, '--description', c.description]);
      }
      await cli.run(['context', 'use', 'prod-eu']);
    },
    workspaceFiles: { 'compose.yaml': 'services:\n  web:\n    build: .\n    ports:\n      - "8080:80"\n' },
    settings: {
      // VS Code's default dark theme: the README screenshot is taken from this run.
      'workbench.colorTheme': 'Default Dark Modern',
      'remote.autoForwardPorts': false,
      // Creating an ssh:// context first logs in once; these hosts are made up and the tests stay
      // on this machine. That check has its own e2e tests against a loopback sshd.
      'remoteDocker.ssh.checkConnectionOnCreate': false,
    },
    // Smaller than the default so the README screenshot stays legible when scaled down.
    viewport: { width: 1280, height: 800 },
    open: { container: CONTAINER, view: VIEW, row: 'default', sidebarWidth: 460, file: 'compose.yaml' },
    strictUi: true,
  });
  const rows = () => contextRows(s.wb);
  const currentRows = () => currentContextRows(s.wb);
  const statusText = () => readStatus(s.wb);

  /** Waits until the tree marks exactly `name` as current and the status bar shows it. */
  const waitUiCurrent = async (name: string): Promise<void> => {
    await waitFor(`the tree to mark "${name}" current`, currentRows, (c) => c.length === 1 && c[0] === name);
    await waitFor(`the status bar to show "${name}"`, statusText, (t) => showsName(t, name));
  };

  /** Waits until a switch made in the UI reached both the CLI and the UI. */
  const switchedTo = async (name: string): Promise<void> => {
    await s.cli.waitShows(name);
    await waitUiCurrent(name);
  };

  /** Sets the current context with the CLI and waits until the UI follows (a precondition, not a check). */
  const useViaCli = async (name: string): Promise<void> => {
    await s.cli.run(['context', 'use', name]);
    await waitUiCurrent(name);
  };

  /**
   * Waits for step 2 of Create Docker Context: an input box, preceded by a pick of suggested
   * endpoints when some feature offers suggestions (then "Enter an endpoint URL…" leads to it).
   */
  const waitEndpointStep = async (): Promise<void> => {
    const typeIt = s.wb.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'Enter an endpoint URL…' })
      .first();
    await waitFor(
      'the endpoint step',
      async () => ({
        title: await s.wb.quickPick.title(),
        message: await s.wb.inputBox.message(),
        pick: await typeIt.isVisible(),
      }),
      (s) => /2\s*\/\s*3/.test(s.title) && (/Docker endpoint/.test(s.message) || s.pick),
    );
    if (await typeIt.isVisible()) {
      await typeIt.click();
      await waitFor(
        'the endpoint input box',
        () => s.wb.inputBox.message(),
        (m) => /Docker endpoint/.test(m),
      );
    }
  };

  /**
   * The tree converges on what the CLI lists: a remove writes config.json and deletes the
   * context's folder, and the watcher may hand the first of those to a reload on its own.
   */
  async function treeMatchesCli(): Promise<void> {
    const [treeNames, cliNames] = await waitFor(
      'the tree to list what docker context ls lists',
      async () => [(await rows()).map((r) => r.name), (await s.cli.list()).map((c) => c.Name)] as const,
      ([t, c]) => t.join('\n') === c.join('\n'),
    );
    assert.deepEqual(treeNames, cliNames);
  }

  it(
    "lists the contexts the CLI created plus default, in the CLI's order, with the current one marked",
    T,
    async () => {
      const expected = await s.cli.list();
      assert.deepEqual(expected.map((c) => c.Name).sort(), [
        'build-server',
        'default',
        'gpu-box',
        'prod-eu',
        'staging',
      ]);
      await s.wb.step('contexts listed', async () => {
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
        assert.equal(await s.cli.show(), 'prod-eu');
        assert.deepEqual(await currentRows(), ['prod-eu']);
        assert.match(shown.find((r) => r.name === 'prod-eu')?.description ?? '', /· current$/);
      });
      await s.wb.step('status bar shows the current context', async () => {
        await waitFor('the status bar to show "prod-eu"', statusText, (t) => showsName(t, 'prod-eu'));
        assert.match(await s.wb.statusBarItem(STATUS_ID).ariaLabel(), /Docker context prod-eu/);
      });
      // The README's media/screenshot-contexts.png is a copy of this step's screenshot.
      await s.wb.step('tooltip of a context shows its description', async () => {
        const tip = await s.wb.hoverText(s.wb.treeRow('staging', VIEW).locator('.label-name'));
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
      await s.wb.step('click staging', async () => {
        await s.wb.clickTreeRow('staging', VIEW);
        await switchedTo('staging');
      });
      assert.deepEqual(
        (await s.cli.list()).filter((c) => c.Current).map((c) => c.Name),
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
      const picked = await s.wb.step('status bar click opens the picker', async () => {
        await s.wb.statusBarItem(STATUS_ID).click();
        await s.wb.quickPick.waitOpen();
        const title = await s.wb.quickPick.title();
        assert.match(title, /Use Docker Context/);
        const items = await waitFor(
          'the picker rows',
          () => s.wb.quickPick.rows(),
          (r) => r.some((x) => x.label === 'prod-eu'),
        );
        for (const c of await s.cli.list()) {
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
        assert.equal(await s.wb.quickPick.activeLabel(), 'prod-eu', 'the current context is the active row');
        return 'build-server';
      });
      await s.wb.step('pick build-server', async () => {
        await s.wb.quickPick.pick(picked);
        await s.wb.quickPick.waitClosed();
        await switchedTo('build-server');
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
      const cliRule = await s.cli.rejectedNameRule(bad);

      await s.wb.step('create: invalid name', async () => {
        await s.wb.runCommand('Create Docker Context…');
        await s.wb.inputBox.fill(bad, { submit: false });
        const msg = await waitFor(
          'the validation message',
          () => s.wb.inputBox.message(),
          (m) => m.includes(cliRule),
        );
        assert.ok(msg.includes(bad), `message names the value: ${msg}`);
        assert.ok(await s.wb.inputBox.messageVisible(), 'the message is visible');
        // Enter on an invalid value is ignored: the same step stays open. The extension handles the
        // box's events in order, so once it has validated a value typed after the Enter, it has
        // handled the Enter too (had it been taken, that value would be in the next step's box).
        const title = await s.wb.quickPick.title();
        await s.wb.quickPick.accept();
        const next = 'no spaces allowed';
        await s.wb.inputBox.fill(next, { submit: false });
        await waitFor(
          'the validation message of the value typed after Enter',
          () => s.wb.inputBox.message(),
          (m) => m.includes(cliRule) && m.includes(next),
        );
        assert.ok(await s.wb.quickPick.isOpen());
        assert.equal(await s.wb.quickPick.title(), title, 'still the name step');
        assert.equal(await s.wb.inputBox.value(), next);
      });
      await s.wb.step('create: name accepted, endpoint asked', async () => {
        await s.wb.inputBox.fill(name, { submit: false });
        await waitFor(
          'the validation message to clear',
          () => s.wb.inputBox.message(),
          (m) => !m.includes(cliRule),
        );
        await s.wb.quickPick.accept();
        await waitEndpointStep();
      });
      await s.wb.step('create: endpoint accepted, description asked', async () => {
        await s.wb.inputBox.fill(endpoint);
        await waitFor(
          'the description step',
          () => s.wb.inputBox.message(),
          (m) => /Description/.test(m),
        );
      });
      await s.wb.step('create: created, "Use now" asked', async () => {
        await s.wb.inputBox.fill(description);
        await waitFor(
          'the "Use now" question',
          () => s.wb.quickPick.rows(),
          (r) => r.some((x) => x.label === 'Use now'),
        );
        // The context exists before the question is answered, and creating alone does not switch.
        const inspected = await s.cli.inspect(name);
        assert.equal(inspected.Name, name);
        assert.equal(inspected.Endpoints.docker.Host, endpoint);
        assert.equal(inspected.Metadata.Description, description);
        assert.equal(await s.cli.show(), 'build-server');
        await s.wb.waitForTreeRow(name, VIEW);
      });
      await s.wb.step('create: used now', async () => {
        await s.wb.quickPick.pick('Use now');
        await s.wb.quickPick.waitClosed();
        await switchedTo(name);
      });
      const listed = (await s.cli.list()).find((c) => c.Name === name);
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
      await s.wb.step('terminal: docker context create', async () => {
        await s.cli.run([
          'context',
          'create',
          name,
          '--docker',
          'host=tcp://127.0.0.1:2375',
          '--description',
          'made in a terminal',
        ]);
        await s.wb.waitForTreeRow(name, VIEW, 10_000);
        const row = (await rows()).find((r) => r.name === name);
        assert.ok(row);
        assert.ok(row.description.startsWith('tcp://127.0.0.1:2375'));
        assert.equal(row.current, false);
        assert.deepEqual(await currentRows(), ['prod-eu']);
      });
      await s.wb.step('terminal: docker context use', async () => {
        await s.cli.run(['context', 'use', name]);
        await waitUiCurrent(name);
      });
      await s.wb.step('terminal: docker context rm -f', async () => {
        await s.cli.run(['context', 'rm', '-f', name]);
        await waitFor(`the ${name} row to go`, rows, (r) => !r.some((x) => x.name === name));
        assert.equal(await s.cli.show(), 'default');
        await waitUiCurrent('default');
      });
      await treeMatchesCli();
    },
  );

  it(
    "removes a context from the tree's context menu after a modal confirm, and falls back to default when the current one is removed",
    T,
    async () => {
      await useViaCli('prod-eu');
      await s.wb.step('remove gpu-box: confirm dialog', async () => {
        await s.wb.treeRowContextMenu('gpu-box', 'Remove Docker Context…', VIEW);
        const dialog = await s.wb.modalDialog();
        assert.match(dialog.text, /Remove Docker context "gpu-box" \(ssh:\/\/ml@gpu-box\.internal\)\?/);
        assert.match(dialog.detail, /cannot be undone/);
      });
      await s.wb.step('remove gpu-box: cancelled, asked again, nothing removed', async () => {
        const cancelled = await s.wb.modalDialog();
        await cancelled.clickButton('Cancel');
        await cancelled.waitClosed();
        // The marker that the cancelled command is over: the extension host has run a later one
        // (the same entry again) as far as its question, which shows the context as still there.
        await s.wb.treeRowContextMenu('gpu-box', 'Remove Docker Context…', VIEW);
        const again = await s.wb.modalDialog();
        assert.match(again.text, /Remove Docker context "gpu-box" \(ssh:\/\/ml@gpu-box\.internal\)\?/);
        assert.ok(
          (await s.cli.list()).some((c) => c.Name === 'gpu-box'),
          'cancel keeps it',
        );
        assert.ok((await rows()).some((r) => r.name === 'gpu-box'));
      });
      await s.wb.step('remove gpu-box: confirmed, removed', async () => {
        const dialog = await s.wb.modalDialog();
        await dialog.clickButton('Remove');
        await dialog.waitClosed();
        await waitFor(
          'docker context ls to drop gpu-box',
          () => s.cli.list(),
          (l) => !l.some((c) => c.Name === 'gpu-box'),
        );
        await waitFor('the gpu-box row to go', rows, (r) => !r.some((x) => x.name === 'gpu-box'));
        assert.equal(await s.cli.show(), 'prod-eu', 'removing another context keeps the current one');
        assert.deepEqual(await currentRows(), ['prod-eu']);
      });

      const doomed = 'old-box';
      await s.cli.run([
        'context',
        'create',
        doomed,
        '--docker',
        'host=ssh://root@old-box.example.com',
        '--description',
        'to be retired',
      ]);
      await s.wb.waitForTreeRow(doomed, VIEW);
      await useViaCli(doomed);
      await s.wb.step('remove current: picker from the palette', async () => {
        await s.wb.runCommand('Remove Docker Context…');
        const items = await waitFor(
          'the remove picker',
          () => s.wb.quickPick.rows(),
          (r) => r.some((x) => x.label === doomed),
        );
        assert.equal(
          items.some((x) => x.label === 'default'),
          false,
          'default is not offered for removal',
        );
      });
      await s.wb.step('remove current: confirm dialog', async () => {
        await s.wb.quickPick.pick(doomed);
        const dialog = await s.wb.modalDialog();
        assert.match(dialog.text, new RegExp(`Remove the current Docker context "${doomed}"`));
        assert.match(dialog.detail, /falls back to "default"/);
      });
      await s.wb.step('remove current: removed, default is current', async () => {
        const dialog = await s.wb.modalDialog();
        await dialog.clickButton('Remove');
        await dialog.waitClosed();
        await waitFor(
          `docker context ls to drop ${doomed}`,
          () => s.cli.list(),
          (l) => !l.some((c) => c.Name === doomed),
        );
        assert.equal(await s.cli.show(), 'default');
        await waitUiCurrent('default');
      });
      await treeMatchesCli();
    },
  );

  it('"Switch Back to Previous Docker Context" returns to the context used before, like cd -', T, async () => {
    await useViaCli('default');
    await s.wb.step('click staging', async () => {
      await s.wb.clickTreeRow('staging', VIEW);
      await switchedTo('staging');
    });
    await s.wb.step('switch back: default', async () => {
      await s.wb.runCommand('Switch Back to Previous Docker Context');
      await switchedTo('default');
    });
    await s.wb.step('switch back again: staging', async () => {
      await s.wb.runCommand('Switch Back to Previous Docker Context');
      await switchedTo('staging');
    });
  });

  it(
    'inspects a context in a read-only JSON editor whose content is what docker context inspect prints',
    T,
    async () => {
      await useViaCli('staging');
      await s.wb.step('inspect prod-eu from the context menu', async () => {
        await s.wb.treeRowContextMenu('prod-eu', 'Inspect Docker Context', VIEW);
        await waitFor(
          'the prod-eu.json editor tab',
          () => s.wb.activeEditorTitle(),
          (t) => t.startsWith('prod-eu'),
        );
        const text = await waitFor(
          'the editor to show JSON',
          () => s.wb.editorText(),
          (t) => t.includes('"prod-eu"'),
        );
        const shown: unknown = JSON.parse(text);
        const expected = await s.cli.inspectRaw('prod-eu');
        assert.deepEqual(Array.isArray(shown) ? shown : [shown], expected);
      });
      await s.wb.step('inspect editor is read-only', async () => {
        await s.wb.assertEditorReadOnly();
        assert.equal(await s.wb.statusBarItem('status.editor.mode').text(), 'JSON');
      });
      await s.wb.step('inspect default from the palette', async () => {
        await s.wb.runCommand('Inspect Docker Context');
        await s.wb.quickPick.pick('default');
        await waitFor(
          'the default.json editor tab',
          () => s.wb.activeEditorTitle(),
          (t) => t.startsWith('default'),
        );
        const text = await waitFor(
          'the editor to show JSON',
          () => s.wb.editorText(),
          (t) => t.includes('IN MEMORY'),
        );
        const shown: unknown = JSON.parse(text);
        assert.deepEqual(Array.isArray(shown) ? shown : [shown], await s.cli.inspectRaw('default'));
      });
    },
  );
});
