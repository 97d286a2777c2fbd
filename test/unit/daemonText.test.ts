/**
 * Daemon text made safe in core, before any view sees it: one line, no control or invisible
 * characters, bounded; `$(icon)` escaped for the status bar; invisible characters shown as
 * escapes in a JSON document. And toEngineInfo gives only such text, whatever /info says.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DAEMON_TEXT_MAX, daemonText, escapeThemeIcons, oneLine, visibleJson } from '../../src/core/engine/daemonText';
import { toEngineInfo } from '../../src/core/engine/engineInfo';

const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const EXTRA = { rttMs: 1, checkedAt: 0, transport: 'unix' as const };

const HOSTILE: [string, string][] = [
  ['blank line then a command link', 'x\n\n[a](command:remoteDocker.useContext?%5B%22evil%22%5D)'],
  ['blank line then an image', 'x\r\n\r\n![](http://attacker.invalid/p.png)'],
  ['backticks', '``` ` ``x``'],
  ['img tag', 'a\n\n<img src="http://attacker.invalid/p.png">'],
  ['right-to-left override', 'Linux\u202Egnp.exe'],
  ['zero-width characters', 'De\u200Bbi\u200C\u200Dan\u2060\uFEFF'],
  ['line and paragraph separators', 'a\u2028b\u2029c\u0085d'],
  ['NUL, escape, delete', 'a\u0000b\u001b[31mc\u007f'],
  ['lone surrogates', 'a\ud800b\udc00c'],
  ['tag characters', 'a\u{E0041}b'],
  ['1 MB of newlines', '\n'.repeat(1_000_000) + 'x'],
  ['1 MB string', 'n'.repeat(1_000_000)],
  ['1 MB of emoji', '😀'.repeat(500_000)],
];

describe('daemonText', () => {
  for (const [name, value] of HOSTILE) {
    test(name, () => {
      const t = daemonText(value);
      assert.ok(!UNSAFE.test(t), JSON.stringify(t.slice(0, 80)));
      assert.ok([...t].length <= DAEMON_TEXT_MAX, `${t.length} characters`);
      assert.ok(!/[\uD800-\uDFFF]/u.test(t.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')), 'no lone surrogate');
    });
  }

  test('keeps ordinary text as it is', () => {
    assert.equal(daemonText('Debian GNU/Linux 12 (bookworm)'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(daemonText('Ubuntu 22.04.4 LTS · 中文 · עברית'), 'Ubuntu 22.04.4 LTS · 中文 · עברית');
    assert.equal(daemonText(8), '8');
  });

  test('one line: controls become one space, ends trimmed', () => {
    assert.equal(daemonText('  a\n\n\tb\u202Ec  '), 'a b c');
  });

  test('a cut is marked and never splits a surrogate pair', () => {
    const t = daemonText('😀'.repeat(300));
    assert.equal([...t].length, DAEMON_TEXT_MAX);
    assert.ok(t.endsWith('…'));
    assert.equal(t.slice(0, -1), '😀'.repeat(DAEMON_TEXT_MAX - 1));
  });

  test('what is not a string or a finite number is empty', () => {
    for (const v of [undefined, null, {}, [], ['x'], true, NaN, Infinity]) {
      assert.equal(daemonText(v), '', JSON.stringify(v));
    }
  });

  test('oneLine only replaces, it does not cut', () => {
    assert.equal(oneLine('a\n\nb'), 'a  b');
    assert.equal(oneLine('x'.repeat(5000)).length, 5000);
  });

  test('escapeThemeIcons', () => {
    assert.equal(escapeThemeIcons('$(zap) a $(loading~spin)'), '\\$(zap) a \\$(loading~spin)');
  });

  test('visibleJson writes invisible characters as escapes and stays the same JSON', () => {
    const value = { Name: 'a\u202Eb\u2028c\u200Bd\u{E0041}e\u0085', n: [1, { x: null }] };
    const text = visibleJson(value);
    assert.ok(!/[\p{Cf}\p{Zl}\p{Zp}\u0080-\u009f]/u.test(text), text);
    assert.deepEqual(JSON.parse(text), value);
  });
});

describe('toEngineInfo cleans every string a daemon sends', () => {
  for (const [name, value] of HOSTILE) {
    test(name, () => {
      const fields = {
        Name: value,
        OperatingSystem: value,
        KernelVersion: value,
        Architecture: value,
        ServerVersion: value,
        OSType: value,
        ID: value,
      };
      const info = toEngineInfo(fields, { Os: value, Arch: value, ApiVersion: value }, EXTRA);
      for (const [field, v] of Object.entries(info)) {
        if (typeof v === 'string') {
          assert.ok(!UNSAFE.test(v), `${field}: ${JSON.stringify(v.slice(0, 80))}`);
          assert.ok([...v].length <= DAEMON_TEXT_MAX, `${field}: ${v.length} characters`);
        }
      }
      assert.match(info.platform, /^[a-z0-9._-]+\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/);
    });
  }
});
