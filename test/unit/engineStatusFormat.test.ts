/**
 * What the status bar says about a daemon, language-neutral parts: the facts per format
 * setting, memory and round trips as people read them, the platform images built on this
 * machine would have (from Node's process.arch), when the daemon's architecture differs, and
 * which failures are a calm state rather than a problem.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  architectureMismatch,
  formatBytes,
  formatDuration,
  isCalmFailure,
  localBuildPlatform,
  parseStatusFormat,
  statusFacts,
} from '../../src/core/engine/engineStatusFormat';
import { platformOf } from '../../src/core/engine/engineInfo';

describe('statusFacts', () => {
  const info = { operatingSystem: 'Ubuntu 22.04.5 LTS', architecture: 'x86_64' };
  test('full: OS and architecture; short: architecture; name: nothing', () => {
    assert.deepEqual(statusFacts('full', info), ['Ubuntu 22.04.5 LTS', 'x86_64']);
    assert.deepEqual(statusFacts('short', info), ['x86_64']);
    assert.deepEqual(statusFacts('name', info), []);
  });
  test('a daemon that reports no OS does not leave an empty part', () => {
    assert.deepEqual(statusFacts('full', { operatingSystem: ' ', architecture: 'aarch64' }), ['aarch64']);
  });
  test('unknown setting values fall back to full', () => {
    assert.equal(parseStatusFormat('short'), 'short');
    assert.equal(parseStatusFormat('name'), 'name');
    assert.equal(parseStatusFormat('FULL'), 'full');
    assert.equal(parseStatusFormat(undefined), 'full');
    assert.equal(parseStatusFormat(3), 'full');
  });
});

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [16_766_021_632, '15.6 GiB'], // what `docker info` prints as "Total Memory: 15.6GiB"
    [2 ** 40, '1.0 TiB'],
    [-1, '?'],
    [Number.NaN, '?'],
  ];
  for (const [n, s] of cases) {
    test(`${n} → ${s}`, () => assert.equal(formatBytes(n), s));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0.876, '0.88 ms'],
    [9.994, '9.99 ms'],
    [42.04, '42.0 ms'],
    [123.4, '123 ms'],
    [1530, '1.5 s'],
    [-1, '?'],
  ];
  for (const [n, s] of cases) {
    test(`${n} → ${s}`, () => assert.equal(formatDuration(n), s));
  }
});

describe('localBuildPlatform', () => {
  const cases: [string, string, { armVersion?: string | number; endianness?: 'BE' | 'LE' }?][] = [
    ['x64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
    ['ia32', 'linux/386'],
    ['arm', 'linux/arm/v7', { armVersion: '7' }],
    ['arm', 'linux/arm/v6', { armVersion: 6 }],
    ['arm', 'linux/arm/v7'],
    ['ppc64', 'linux/ppc64le', { endianness: 'LE' }],
    ['ppc64', 'linux/ppc64', { endianness: 'BE' }],
    ['s390x', 'linux/s390x'],
    ['riscv64', 'linux/riscv64'],
    ['mipsel', 'linux/mipsle'],
  ];
  for (const [arch, platform, o] of cases) {
    test(`${arch}${o ? ` ${JSON.stringify(o)}` : ''} → ${platform}`, () =>
      assert.equal(localBuildPlatform(arch, o), platform));
  }
  test('this machine maps to the platform its own daemon reports', () => {
    // The local dockerd of the tests reports Architecture x86_64 and Arch amd64 on this machine kind.
    assert.equal(
      localBuildPlatform(process.arch),
      platformOf('linux', process.arch === 'x64' ? 'amd64' : process.arch, ''),
    );
  });
});

describe('architectureMismatch', () => {
  test('Apple silicon against an x86-64 server', () => {
    assert.deepEqual(architectureMismatch('linux/arm64', 'linux/amd64'), {
      local: 'linux/arm64',
      remote: 'linux/amd64',
    });
  });
  test('the same architecture, also when the OS or the spelling differs', () => {
    assert.equal(architectureMismatch('linux/amd64', 'linux/amd64'), undefined);
    assert.equal(architectureMismatch('linux/amd64', 'windows/amd64'), undefined);
    assert.equal(architectureMismatch('linux/amd64', 'linux/x86_64'), undefined);
    assert.equal(architectureMismatch('linux/arm64', 'linux/arm64/v8'), undefined);
  });
  test('32-bit ARM variants count; a missing variant does not', () => {
    assert.ok(architectureMismatch('linux/arm/v7', 'linux/arm/v6'));
    assert.equal(architectureMismatch('linux/arm/v7', 'linux/arm'), undefined);
    assert.ok(architectureMismatch('linux/arm/v7', 'linux/arm64'));
  });
  test('an unknown side is no warning', () => {
    assert.equal(architectureMismatch('linux/amd64', 'linux/unknown'), undefined);
    assert.equal(architectureMismatch('linux/amd64', ''), undefined);
  });
});

describe('isCalmFailure', () => {
  test('a local socket without a daemon is calm; the same over SSH or another failure is not', () => {
    assert.equal(isCalmFailure('unix', 'dockerSocketMissing'), true);
    assert.equal(isCalmFailure('unix', 'daemonNotRunning'), true);
    assert.equal(isCalmFailure('npipe', 'dockerSocketMissing'), true);
    assert.equal(isCalmFailure('unix', 'dockerSocketPermission'), false);
    assert.equal(isCalmFailure('ssh', 'daemonNotRunning'), false);
    assert.equal(isCalmFailure('tcp', 'daemonNotRunning'), false);
    assert.equal(isCalmFailure(undefined, 'dockerSocketMissing'), false);
  });
});
