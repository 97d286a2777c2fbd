/**
 * Turning the Engine API's /info and /version into what the status bar shows: machine names
 * become Go/OCI platform names (x86_64 → amd64, aarch64 → arm64, armv7l → arm/v7), and
 * missing fields of older daemons stay empty instead of failing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeArch, platformOf, toEngineInfo } from '../../src/core/engine/engineInfo';

describe('normalizeArch', () => {
  const cases: [string, string, string?][] = [
    ['x86_64', 'amd64'],
    ['amd64', 'amd64'],
    ['aarch64', 'arm64'],
    ['arm64', 'arm64'],
    ['armv7l', 'arm', 'v7'],
    ['armv6l', 'arm', 'v6'],
    ['i686', '386'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['X86_64', 'amd64'],
    ['mystery', 'mystery'],
  ];
  for (const [raw, arch, variant] of cases) {
    test(`${raw} → ${arch}${variant ? `/${variant}` : ''}`, () => {
      assert.deepEqual(normalizeArch(raw), variant ? { arch, variant } : { arch });
    });
  }
});

describe('platformOf', () => {
  test('uses /version Os/Arch', () => {
    assert.equal(platformOf('linux', 'amd64', 'x86_64'), 'linux/amd64');
    assert.equal(platformOf('linux', 'arm64', 'aarch64'), 'linux/arm64');
    assert.equal(platformOf('windows', 'amd64', 'x86_64'), 'windows/amd64');
  });
  test('takes the arm variant from the kernel machine name', () => {
    assert.equal(platformOf('linux', 'arm', 'armv7l'), 'linux/arm/v7');
  });
  test('falls back to the machine name when /version has no Arch', () => {
    assert.equal(platformOf('linux', '', 'aarch64'), 'linux/arm64');
    assert.equal(platformOf('', '', ''), 'unknown/unknown');
  });
});

describe('toEngineInfo', () => {
  // Trimmed from a real dockerd 20.10 on Debian 12.
  const info = {
    OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    OSType: 'linux',
    Architecture: 'x86_64',
    KernelVersion: '6.1.0-18-amd64',
    ServerVersion: '20.10.24+dfsg1',
    NCPU: 2,
    MemTotal: 4110671872,
    Name: 'vm',
    ID: 'ZK2V:6LQW:QXHB:3K3T:EXAMPLE',
  };
  const version = {
    Os: 'linux',
    Arch: 'amd64',
    ApiVersion: '1.41',
    Version: '20.10.24+dfsg1',
    KernelVersion: '6.1.0-18-amd64',
  };

  test('maps every field', () => {
    assert.deepEqual(toEngineInfo(info, version, { rttMs: 1.5, checkedAt: 42, transport: 'streamlocal' }), {
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      osType: 'linux',
      architecture: 'x86_64',
      platform: 'linux/amd64',
      kernelVersion: '6.1.0-18-amd64',
      serverVersion: '20.10.24+dfsg1',
      apiVersion: '1.41',
      ncpu: 2,
      memTotal: 4110671872,
      name: 'vm',
      id: 'ZK2V:6LQW:QXHB:3K3T:EXAMPLE',
      rttMs: 1.5,
      checkedAt: 42,
      transport: 'streamlocal',
    });
  });

  test('missing and mistyped fields become empty values, the API version comes from /_ping', () => {
    const r = toEngineInfo({ NCPU: 'two', OSType: 'linux' }, null, {
      rttMs: 0,
      checkedAt: 0,
      transport: 'unix',
      pingApiVersion: '1.43',
    });
    assert.equal(r.operatingSystem, '');
    assert.equal(r.ncpu, 0);
    assert.equal(r.memTotal, 0);
    assert.equal(r.apiVersion, '1.43');
    assert.equal(r.platform, 'linux/unknown');
  });
});
