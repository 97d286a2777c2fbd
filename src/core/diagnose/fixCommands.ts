/**
 * The copyable commands of diagnose's fixes. Their values come from remote output (`id -un`,
 * `ls -ld`) or from a URL, so each is one shell word: as it is when it holds only plain
 * characters, else single-quoted. A value with a control character, or one that would read as
 * an option, gives no command at all (the fix is then described without one).
 */

/** `value` as one POSIX shell word, or undefined when it cannot be one safely. */
export function shellWord(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (value === '' || value.startsWith('-') || /[\u0000-\u001f\u007f]/.test(value)) {
    return undefined;
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) {
    return value;
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `template` with each `{}` replaced by the next value as a shell word; undefined if any value cannot be one. */
function command(template: string, ...values: string[]): string | undefined {
  const words = values.map(shellWord);
  if (words.some((w) => w === undefined)) {
    return undefined;
  }
  let i = 0;
  return template.replace(/\{\}/g, () => words[i++] ?? '');
}

export function addToGroupCommand(group: string, user: string): string | undefined {
  return command('sudo usermod -aG {} {}', group, user);
}

export function loginShellCommand(user: string): string | undefined {
  return command('sudo chsh -s /bin/bash {}', user);
}

export function removeKnownHostCommand(name: string): string | undefined {
  return command('ssh-keygen -R {}', name);
}

export const START_DAEMON_COMMAND = 'sudo systemctl start docker';
export const START_SSH_COMMAND = 'sudo systemctl start ssh';
export const ALLOW_STREAMLOCAL_LINE = 'AllowStreamLocalForwarding yes';
