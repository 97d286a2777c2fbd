/**
 * The copyable fix commands: values from remote output or a URL become one shell word each. The
 * oracle is /bin/sh itself: the word, read back by the shell, is the value.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { addToGroupCommand, removeKnownHostCommand, shellWord } from '../../src/core/diagnose/fixCommands';

function shellReads(word: string): string {
  return execFileSync('/bin/sh', ['-c', `printf '%s' ${word}`], { encoding: 'utf8' });
}

describe('shellWord', () => {
  test('plain values stay as they are; others are single-quoted so the shell reads them back unchanged', () => {
    assert.equal(shellWord('ubuntu'), 'ubuntu');
    assert.equal(shellWord('docker'), 'docker');
    for (const v of [
      '[127.0.0.1]:2222',
      "o'brien",
      'a b',
      '$(touch /tmp/x)',
      '`id`',
      'x;y',
      'a"b',
      '*',
      '~root',
      'é',
    ]) {
      const w = shellWord(v);
      assert.ok(w !== undefined, v);
      assert.equal(shellReads(w), v, v);
    }
  });
  test('control characters, an empty value and a leading dash give no word', () => {
    for (const v of ['a\nb', 'a\rb', 'a\u0000b', 'a\u001bb', 'a\u007fb', '', '-rf']) {
      assert.equal(shellWord(v), undefined, JSON.stringify(v));
    }
  });
});

describe('fix commands', () => {
  test('usermod and ssh-keygen -R quote what they did not choose', () => {
    assert.equal(addToGroupCommand('docker', 'ubuntu'), 'sudo usermod -aG docker ubuntu');
    assert.equal(addToGroupCommand('docker', 'we$(id)ird'), "sudo usermod -aG docker 'we$(id)ird'");
    assert.equal(removeKnownHostCommand('[127.0.0.1]:2222'), "ssh-keygen -R '[127.0.0.1]:2222'");
    assert.equal(addToGroupCommand('docker', 'bad\nname'), undefined);
  });
});
