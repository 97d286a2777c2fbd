/**
 * A context used in this workspace only, and a protected context, end to end in code-server with
 * a folder open as the workspace. The oracles: `docker context show` typed into a NEW integrated
 * terminal (it writes to a file the test reads: what a terminal of this workspace uses), the same
 * command run outside VS Code (what every other terminal uses), `docker context inspect` for the
 * protection mark, and the workspace's settings file.
 *
 * Microsoft's container extension cannot be installed here (no marketplace), so a stand-in with
 * its identity and the parts of its published manifest the extension reads is installed beside
 * it: the `containers.environment` setting (same schema and scope) and the refresh commands, which
 * record that they ran. Only its presence is stood in for; the settings file VS Code writes is real.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  contextRows,
  currentContextRows,
  showsName,
  statusText,
} from '../support/contextsUi';
import { DockerCli } from '../support/dockerCli';
import { e2eSession, type E2eSession } from '../support/e2eSession';
import { waitFor } from '../support/workbench';

const T = { timeout: 300_000 };

/** The CLI as a terminal outside VS Code runs it (code-server's environment: temp HOME and DOCKER_CONFIG). */
function outside(s: E2eSession): DockerCli {
  return new DockerCli(s.home.env);
}

let terminals = 0;

/** Opens a new integrated terminal, runs `docker context show` in it, and returns what it printed. */
async function contextInNewTerminal(s: E2eSession): Promise<string> {
  const out = path.join(s.home.home, `terminal-${++terminals}.txt`);
  await s.wb.runCommand('Terminal: Create New Terminal');
  const input = s.wb.page
    .locator('.terminal-wrapper.active .xterm-helper-textarea, .terminal .xterm-helper-textarea')
    .last();
  await input.waitFor({ state: 'attached' });
  await input.focus();
  // The shell reads what was typed once it is ready; the file appears when the command has run.
  await s.wb.page.keyboard.type(`docker context show > ${out}.tmp && mv ${out}.tmp ${out}\n`);
  const printed = await waitFor(
    `the terminal to write ${out}`,
    () => fs.readFileSync(out, 'utf8').trim(),
    (t) => t !== '',
    60_000,
  );
  await s.wb.runCommand('Terminal: Kill the Active Terminal Instance');
  return printed;
}

/** The workspace settings before the test: a key of another tool and an environment entry of the user's. */
const SEEDED_SETTINGS = { 'files.trimTrailingWhitespace': true, 'containers.environment': { FOO: '1' } };

/** Builds the stand-in's .vsix (with the repository's vsce) in `dir`. */
async function buildStandIn(dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'vscode-containers',
    publisher: 'ms-azuretools',
    version: '2.5.0',
    license: 'MIT',
    engines: { vscode: '^1.90.0' },
    main: './extension.js',
    contributes: {
      configuration: {
        properties: {
          'containers.environment': {
            type: 'object',
            additionalProperties: { type: 'string' },
            scope: 'machine-overridable',
          },
        },
      },
      commands: [
        { command: 'vscode-containers.containers.refresh', title: 'Refresh Containers' },
        { command: 'vscode-containers.contexts.refresh', title: 'Refresh Contexts' },
      ],
    },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, 'README.md'), '# stand-in\n');
  fs.writeFileSync(
    path.join(dir, 'extension.js'),
    `const fs = require('fs'); const path = require('path'); const vscode = require('vscode');
exports.activate = (context) => {
  for (const id of ${JSON.stringify(manifest.contributes.commands.map((c) => c.command))}) {
    context.subscriptions.push(vscode.commands.registerCommand(id, () =>
      fs.appendFileSync(path.join(process.env.HOME, 'standin-refresh.log'), id + '\\n')));
  }
};
`,
  );
  const vsix = path.join(dir, 'standin.vsix');
  const vsce = path.resolve(__dirname, '..', '..', '..', 'node_modules', '.bin', 'vsce');
  const r = await runProcess(
    vsce,
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: dir, timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, `vsce package: ${r.stderr}`);
  return vsix;
}

function refreshLog(s: E2eSession): string[] {
  const f = path.join(s.home.home, 'standin-refresh.log');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

function settingsJson(s: E2eSession): unknown {
  return JSON.parse(fs.readFileSync(settingsFile(s), 'utf8')) as unknown;
}

function settingsFile(s: E2eSession): string {
  return path.join(s.workspace, '.vscode', 'settings.json');
}

describe('a Docker context used in this workspace only; a protected context', () => {
  let standIn = '';
  const s = e2eSession({
    name: 'workspace context',
    dockerd: true,
    strictUi: true,
    open: { container: CONTAINER, view: VIEW, row: 'alpha', sidebarWidth: 520 },
    workspaceFiles: {
      'README.md': '# project\n',
      '.vscode/settings.json': JSON.stringify(SEEDED_SETTINGS, null, 2) + '\n',
    },
    extraVsix: () => [standIn],
    prepare: async (session) => {
      standIn = await buildStandIn(path.join(session.home.home, 'standin'));
      const cli = outside(session);
      for (const name of ['alpha', 'beta']) {
        await cli.run(['context', 'create', name, '--docker', `host=${session.dockerd.host}`]);
      }
      await cli.run(['context', 'use', 'alpha']);
    },
  });

  it(
    'Use in This Workspace: a new terminal uses beta, terminals outside still use alpha; Stop: alpha again',
    T,
    async () => {
      const { wb } = s;
      await wb.step('beta: Use in This Workspace', async () => {
        await wb.treeRowContextMenu('beta', 'Use in This Workspace', VIEW);
        await wb.notification(/This workspace uses Docker context "beta"/);
        await waitFor(
          'the status bar to show beta (workspace)',
          () => statusText(wb),
          (t) => showsName(t, 'beta') && /\(workspace\)/.test(t),
        );
        const rows = await waitFor(
          'the beta row to be marked for this workspace',
          () => contextRows(wb),
          (r) => /this workspace/.test(r.find((x) => x.name === 'beta')?.description ?? ''),
        );
        assert.deepEqual(await currentContextRows(wb), ['alpha'], 'the global current context stays marked');
        assert.doesNotMatch(rows.find((x) => x.name === 'alpha')?.description ?? '', /this workspace/);
      });
      await wb.step('the container extension follows, with consent', async () => {
        const ask = await wb.notification(/Should the container extensions use "beta" in this workspace too/);
        assert.match(ask.text, /containers\.environment/);
        await ask.clickButton('Yes, in This Workspace');
        await waitFor(
          'the workspace settings to gain DOCKER_CONTEXT',
          () => settingsJson(s),
          (v) => JSON.stringify(v).includes('"DOCKER_CONTEXT":"beta"'),
        );
        // Exactly the one key more: the user's entry and the other tool's setting stay.
        assert.deepEqual(settingsJson(s), {
          ...SEEDED_SETTINGS,
          'containers.environment': { FOO: '1', DOCKER_CONTEXT: 'beta' },
        });
        await waitFor(
          'its refresh commands to run',
          () => refreshLog(s),
          (l) => l.includes('vscode-containers.containers.refresh') && l.includes('vscode-containers.contexts.refresh'),
        );
      });
      await wb.step('status tooltip: this workspace and global', async () => {
        const tip = await wb.hoverText(wb.statusBarItem(STATUS_ID).locator);
        assert.match(tip, /this workspace: beta · global: alpha/);
        await wb.parkMouse();
      });
      await wb.step('a new terminal uses beta; outside VS Code alpha', async () => {
        assert.equal(await contextInNewTerminal(s), 'beta');
        assert.equal(await outside(s).show(), 'alpha');
      });

      await wb.step('Stop Using in This Workspace', async () => {
        await wb.runCommand('Remote Docker: Stop Using in This Workspace');
        await wb.notification(/no longer uses "beta"/);
        await waitFor(
          'the status bar to show alpha',
          () => statusText(wb),
          (t) => showsName(t, 'alpha') && !/\(workspace\)/.test(t),
        );
        assert.equal(await contextInNewTerminal(s), 'alpha');
      });
      await waitFor(
        'the workspace settings to lose exactly DOCKER_CONTEXT',
        () => settingsJson(s),
        (v) => JSON.stringify(v) === JSON.stringify(SEEDED_SETTINGS),
      );
    },
  );

  it('Protect: the mark is in meta.json, a global switch asks first, Use in This Workspace does not', T, async () => {
    const { wb } = s;
    await wb.step('beta: Protect Docker Context… red', async () => {
      await wb.treeRowContextMenu('beta', 'Protect Docker Context…', VIEW);
      await wb.quickPick.waitOpen();
      await wb.quickPick.pick('Red');
      const inspected = await waitFor(
        'docker context inspect to show the mark',
        async () => JSON.parse((await outside(s).run(['context', 'inspect', 'beta'])).stdout) as unknown[],
        (v) => JSON.stringify(v).includes('"protected":true'),
      );
      assert.deepEqual((inspected[0] as { Metadata: unknown }).Metadata, {
        remoteDocker: { color: 'red', protected: true },
      });
      await waitFor(
        'the beta row to say protected',
        () => contextRows(wb),
        (r) => /protected/.test(r.find((x) => x.name === 'beta')?.ariaLabel ?? ''),
      );
    });
    await wb.step('click beta: the modal names it; Cancel keeps alpha', async () => {
      await wb.clickTreeRow('beta', VIEW);
      const modal = await wb.modalDialog();
      assert.match(modal.text, /"beta" is a protected Docker context/);
      await modal.clickButton('Cancel');
      await modal.waitClosed();
      assert.equal(await outside(s).show(), 'alpha');
    });
    await wb.step('click beta again: Switch Globally; the status bar warns', async () => {
      await wb.clickTreeRow('beta', VIEW);
      const modal = await wb.modalDialog();
      await modal.clickButton('Switch Globally');
      await waitFor(
        'the config to select beta',
        () => outside(s).show(),
        (n) => n === 'beta',
      );
      await waitFor(
        'the status item to take the warning background',
        async () => (await wb.statusBarItem(STATUS_ID).locator.getAttribute('class')) ?? '',
        (c) => /warning-kind/.test(c) && true,
      );
      assert.ok(showsName(await statusText(wb), 'beta'));
    });
    await wb.step('alpha globally again, then beta in this workspace: no question', async () => {
      await wb.clickTreeRow('alpha', VIEW);
      await waitFor(
        'the config to select alpha',
        () => outside(s).show(),
        (n) => n === 'alpha',
      );
      await wb.treeRowContextMenu('beta', 'Use in This Workspace', VIEW);
      await wb.notification(/This workspace uses Docker context "beta"/);
      assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'no modal for a workspace use');
      await waitFor(
        'the status bar to show beta (workspace) with the warning background',
        async () =>
          `${await statusText(wb)} ${(await wb.statusBarItem(STATUS_ID).locator.getAttribute('class')) ?? ''}`,
        (t) => showsName(t, 'beta') && /\(workspace\)/.test(t) && /warning-kind/.test(t),
      );
      await wb.runCommand('Remote Docker: Stop Using in This Workspace');
      await waitFor(
        'the status bar to show alpha',
        () => statusText(wb),
        (t) => showsName(t, 'alpha'),
      );
    });
  });

  it('a workspace context removed in a terminal: the window says so and falls back to the global one', T, async () => {
    const { wb } = s;
    await outside(s).run(['context', 'create', 'gamma', '--docker', `host=${s.dockerd.host}`]);
    await wb.waitForTreeRow('gamma', VIEW);
    await wb.treeRowContextMenu('gamma', 'Use in This Workspace', VIEW);
    await waitFor(
      'the status bar to show gamma',
      () => statusText(wb),
      (t) => showsName(t, 'gamma'),
    );
    await outside(s).run(['context', 'rm', 'gamma']);
    await wb.step('gamma removed: fallback', async () => {
      await wb.notification(/"gamma", used in this workspace, no longer exists/);
      await waitFor(
        'the status bar to show alpha',
        () => statusText(wb),
        (t) => showsName(t, 'alpha'),
      );
      assert.equal(await contextInNewTerminal(s), 'alpha');
    });
  });
});
