import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import { errnoCode, pathExists, writeFileAtomic } from '../../core/common/fsutil';
import { openFile } from '../base/openFile';
import { confirmModal } from '../base/prompts';
import type { Services } from '../services';

/** "Open SSH Configuration File": the configured file; a missing one is created (600, folder 700) after asking. */
export async function openSshConfig(s: Services): Promise<void> {
  const file = s.ssh.configFile;
  if (!(await pathExists(file))) {
    const create = vscode.l10n.t('Create');
    const ok = await confirmModal(
      vscode.l10n.t('{0} does not exist yet. Create it?', file),
      vscode.l10n.t('The file is created empty, readable only by you (mode 600), as ssh expects.'),
      create,
    );
    if (!ok) {
      return;
    }
    await createPrivateFile(file);
    s.logger.info(`Created ${file}`);
    await s.refresh.request('sshHosts', 'afterChange');
  }
  await openFile(file);
}

/** An empty file with mode 600; a missing folder is created 700 (like `~/.ssh`); nothing existing is replaced. */
async function createPrivateFile(file: string): Promise<void> {
  const dir = path.dirname(file);
  try {
    if (!(await pathExists(dir))) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.chmod(dir, 0o700);
    }
    await writeFileAtomic(file, '', { mode: 0o600, exclusive: true });
  } catch (e) {
    if (e instanceof CoreError) {
      throw e;
    }
    if (errnoCode(e) === 'EEXIST') {
      return; // created meanwhile (a terminal, another window): open what is there
    }
    throw new CoreError(
      'fileUnwritable',
      `Cannot create ${file}: ${errnoCode(e) ?? String(e)}`,
      { file },
      { cause: e },
    );
  }
}
