/**
 * What a daemon says is data, never markup, and never more than can be read. A fake daemon (an
 * HTTP server on a unix socket, reached as a `unix://` context through the real Engine API
 * client) answers /info and /version with a table of hostile bodies: Markdown and HTML meant
 * to plant `command:` links and remote images in the trusted tooltips, control and invisible
 * characters, huge and deeply nested answers, wrong types, bodies that are not JSON. Each ends
 * in a clear reason or in safely rendered text, in the status probe, in the status bar's
 * tooltip (read by a CommonMark parser) and in Show Remote Engine Info. The count by kind is
 * printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { nullLogger } from '../../src/core/common/log';
import { DAEMON_TEXT_MAX, visibleJson } from '../../src/core/engine/daemonText';
import { engineKey } from '../../src/core/engine/engineKey';
import { EngineMonitor, type EngineSubject } from '../../src/core/engine/engineMonitor';
import type { DaemonState } from '../../src/core/engine/engineStates';
import { startFakeDaemon, type FakeAnswers, type FakeDaemon } from '../support/fakeDaemon';
import { tempDirs } from '../support/tempDirs';
import { installVscodeStandIn } from '../support/vscodeStandIn';
import type * as ErrorMessagesModule from '../../src/ui/base/errorMessages';
import type * as StatusBarModule from '../../src/ui/engine/statusBar';

installVscodeStandIn();
// Loaded after the stand-in is in place (these modules import `vscode`).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must follow installVscodeStandIn()
const { renderStatus } = require('../../src/ui/engine/statusBar') as typeof StatusBarModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must follow installVscodeStandIn()
const { reasonText } = require('../../src/ui/base/errorMessages') as typeof ErrorMessagesModule;

interface MdToken {
  type: string;
  attrGet(name: string): string | null;
  children: MdToken[] | null;
}
interface MarkdownIt {
  parse(src: string, env: object): MdToken[];
}
// markdown-it is the CommonMark parser at hand (no types shipped); VS Code renders hovers with marked, also CommonMark.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped package, typed locally above
const markdownIt = require('markdown-it') as (o: object) => MarkdownIt;
const parser = markdownIt({ html: true, linkify: false });

/**
 * GFM's extended autolinks (`http://…`, `www.…` in plain text), which VS Code's renderer (marked)
 * makes links and CommonMark does not: looked for in the source outside code spans, where marked
 * sees them (an escaped `\:` or `\.` defeats them).
 */
function bareAutolinks(md: string): string[] {
  const outsideCode = md.replace(/(`+)[\s\S]*?(?<!`)\1(?!`)/g, ' ');
  return [...outsideCode.matchAll(/(?:https?|ftp):\/\/\S*|www\.\S*/gi)].map((m) => m[0]);
}

const T = { timeout: 300_000 };
const SETTINGS = { refreshIntervalMs: 0, requestTimeoutMs: 30_000, idleTimeoutMs: 60_000, probeTtlMs: 0 };
const newDir = tempDirs('rdc-hostile-');

/** Every link target and image in the Markdown, and whether raw HTML is in it. */
function markdownFacts(md: string): { links: string[]; images: string[]; html: string[] } {
  const out = { links: [] as string[], images: [] as string[], html: [] as string[] };
  const walk = (tokens: MdToken[]): void => {
    for (const t of tokens) {
      if (t.type === 'link_open') {
        out.links.push(t.attrGet('href') ?? '');
      } else if (t.type === 'image') {
        out.images.push(t.attrGet('src') ?? '');
      } else if (t.type === 'html_inline' || t.type === 'html_block') {
        out.html.push(t.type);
      }
      if (t.children) {
        walk(t.children);
      }
    }
  };
  walk(parser.parse(md, {}));
  return out;
}

const UNSAFE_CHAR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const LINK = '\n\n[Use my context](command:remoteDocker.useContext?%5B%22evil%22%5D)';
const IMG = '\n\n![x](http://attacker.invalid/pixel.png)';

const normalInfo = {
  Name: 'host1',
  OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  OSType: 'linux',
  Architecture: 'x86_64',
  KernelVersion: '6.1.0',
  ServerVersion: '20.10.24',
  NCPU: 2,
  MemTotal: 2_000_000_000,
  ID: 'abc',
};
const normalVersion = { Os: 'linux', Arch: 'amd64', Version: '20.10.24', ApiVersion: '1.41' };
const info = (o: Record<string, unknown>): string => JSON.stringify({ ...normalInfo, ...o });
const version = (o: Record<string, unknown>): string => JSON.stringify({ ...normalVersion, ...o });
const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

type Expect = 'shown' | 'refused';
interface Case {
  kind: 'markdown' | 'html' | 'control' | 'huge' | 'nested' | 'wrong type' | 'not JSON';
  name: string;
  answers: FakeAnswers;
  /** What the status probe ends in, and what Show Remote Engine Info ends in. */
  status: Expect;
  raw: Expect;
}

const md = (name: string, field: string, text: string): Case => ({
  kind: 'markdown',
  name: `${name} in ${field}`,
  answers: { info: info({ [field]: text }), version: version({}) },
  status: 'shown',
  raw: 'shown',
});

const CASES: Case[] = [
  ...['Name', 'OperatingSystem', 'KernelVersion', 'Architecture', 'ServerVersion'].flatMap((f) => [
    md('command link after a blank line', f, `x${LINK}`),
    md('remote image after a blank line', f, `x${IMG}`),
    md('backticks that close the span', f, '``` ` ``x`` [a](command:remoteDocker.useContext) ![i](http://a.invalid/i)'),
  ]),
  md('reference definition', 'Name', 'x\n\n[a]: command:remoteDocker.useContext\n\n[a]'),
  md('autolink', 'OperatingSystem', 'x\n\n<command:remoteDocker.useContext>'),
  md('theme icon', 'OperatingSystem', '$(zap) $(loading~spin) Linux'),
  md('link in the version', 'ServerVersion', `20.10${LINK}`),
  {
    kind: 'markdown',
    name: 'link in /version Os and Arch',
    answers: {
      info: info({ OSType: '', Architecture: '' }),
      version: version({ Os: `linux${LINK}`, Arch: `amd64${IMG}` }),
    },
    status: 'shown',
    raw: 'shown',
  },
  ...[
    ['img tag', '\n\n<img src="http://attacker.invalid/i.png">'],
    ['html block', '\n\n<div><a href="command:remoteDocker.useContext">x</a></div>'],
    ['script', '<script>alert(1)</script>'],
    ['entity-encoded link', '\n\n&#91;a&#93;(command:remoteDocker.useContext)'],
  ].map(([n, text]): Case => ({
    kind: 'html',
    name: n,
    answers: { info: info({ Name: text, OperatingSystem: text }), version: version({}) },
    status: 'shown',
    raw: 'shown',
  })),
  ...[
    ['right-to-left override', 'Linux\u202Egnp.exe'],
    ['zero-width space and joiner', 'De\u200Bbi\u200Dan\uFEFF'],
    ['line and paragraph separators', `a\u2028\u2029b${LINK}`],
    ['NUL and escape sequences', 'a\u0000b\u001b[31mred\u001b[0m'],
    ['C1 controls', 'a\u0085b\u009bc'],
    ['lone surrogate', 'a\ud800b'],
    ['tag characters', 'a\u{E0041}\u{E0042}b'],
    ['carriage returns', `x\r\r[a](command:remoteDocker.useContext)`],
  ].map(([n, text]): Case => ({
    kind: 'control',
    name: n,
    answers: { info: info({ Name: text, OperatingSystem: text, KernelVersion: text }), version: version({}) },
    status: 'shown',
    raw: 'shown',
  })),
  {
    kind: 'huge',
    name: '1 MB host name',
    answers: { info: info({ Name: 'n'.repeat(1_000_000) }), version: version({}) },
    status: 'shown',
    raw: 'shown',
  },
  {
    kind: 'huge',
    name: '1 MB of blank lines and links',
    answers: { info: info({ OperatingSystem: LINK.repeat(20_000) }), version: version({}) },
    status: 'shown',
    raw: 'shown',
  },
  {
    kind: 'huge',
    name: '200 MB /info',
    answers: {
      info: { prefix: '{"Name":"', fill: 'a', bytes: 200 * 1024 * 1024, suffix: '"}' },
      version: version({}),
    },
    status: 'refused',
    raw: 'refused',
  },
  {
    kind: 'huge',
    name: '9 MiB /version',
    answers: { info: info({}), version: { prefix: '{"Os":"', fill: 'b', bytes: 9 * 1024 * 1024, suffix: '"}' } },
    status: 'refused',
    raw: 'refused',
  },
  {
    kind: 'nested',
    name: '100 000 nested arrays in /info',
    answers: { info: `{"Name":"x","Plugins":${deep(100_000)}}`, version: version({}) },
    status: 'shown',
    raw: 'refused',
  },
  {
    kind: 'nested',
    name: '100 nested objects in /version',
    answers: { info: info({}), version: `${'{"a":'.repeat(100)}1${'}'.repeat(100)}` },
    status: 'shown',
    raw: 'refused',
  },
  {
    kind: 'nested',
    name: '30 nested objects (a real /info has about 5)',
    answers: {
      info: info({ Swarm: JSON.parse(`${'{"a":'.repeat(30)}1${'}'.repeat(30)}`) as unknown }),
      version: version({}),
    },
    status: 'shown',
    raw: 'shown',
  },
  ...(
    [
      ['/info is an array', '[]', version({})],
      ['/info is null', 'null', version({})],
      ['/info is a string', '"Linux"', version({})],
      ['/info is a number', '42', version({})],
      ['/version is an array', info({}), '["linux"]'],
      [
        'fields of the wrong type',
        info({ Name: {}, NCPU: '8', MemTotal: -1, OperatingSystem: 12345, Architecture: null }),
        version({ Os: ['linux'], Arch: { a: 1 } }),
      ],
      ['numbers out of range', '{"NCPU":1e308,"MemTotal":1e400,"Name":-0}', version({})],
    ] as const
  ).map(([n, i, v]): Case => ({
    kind: 'wrong type',
    name: n,
    answers: { info: i, version: v },
    status: 'shown',
    raw: 'shown',
  })),
  ...(
    [
      ['an HTML page', '<html><body><a href="command:x">x</a></body></html>'],
      ['an empty body', ''],
      ['truncated JSON', '{"Name":"x"'],
    ] as const
  ).map(([n, body]): Case => ({
    kind: 'not JSON',
    name: n,
    answers: { info: body, version: version({}) },
    status: 'refused',
    raw: 'refused',
  })),
];

let daemon: FakeDaemon;
let monitor: EngineMonitor;
const subject: EngineSubject = { name: 'hostile', endpoint: '', skipTLSVerify: false, hasTls: false };
const counts = new Map<string, number>();
/** The links a benign daemon's tooltip has: the extension's own, and nothing a daemon may add. */
let ownLinks: string[] = [];

function tooltipOf(state: DaemonState): { text: string; md: string; enabled: readonly string[] } {
  const r = renderStatus({
    loaded: true,
    context: subject.name,
    source: 'config',
    endpoint: subject.endpoint,
    configFile: 'config.json',
    env: {},
    engine: state,
    localPlatform: 'linux/amd64',
    format: 'full',
  });
  const trusted = r.tooltip.isTrusted;
  assert.ok(typeof trusted === 'object', 'the tooltip trusts only listed commands');
  assert.notEqual(r.tooltip.supportHtml, true, 'no HTML in the tooltip');
  return { text: r.text, md: r.tooltip.value, enabled: trusted.enabledCommands };
}

function newMonitor(): EngineMonitor {
  return new EngineMonitor({
    connect: () => Promise.reject(new CoreError('internal', 'no SSH here')),
    prompts: () => ({}),
    target: (s) => ({ contextName: s.name, endpoint: s.endpoint }),
    settings: SETTINGS,
    focused: true,
    logger: nullLogger,
  });
}

async function probeState(): Promise<DaemonState> {
  await monitor.probe(subject, { interactive: false });
  return monitor.states.get(engineKey(subject));
}

describe('hostile /info and /version answers from a fake daemon', () => {
  before(async () => {
    daemon = await startFakeDaemon(await newDir(), { info: info({}), version: version({}) });
    Object.assign(subject, { endpoint: daemon.endpoint });
    monitor = newMonitor();
    const benign = await probeState();
    assert.equal(benign.kind, 'ok', JSON.stringify(benign));
    ownLinks = markdownFacts(tooltipOf(benign).md).links;
    assert.ok(ownLinks.length > 0, 'the benign tooltip has the extension’s own links');
  });

  after(async () => {
    monitor?.dispose();
    await daemon?.close();
  });

  for (const c of CASES) {
    it(`${c.kind}: ${c.name}`, T, async () => {
      daemon.answers = c.answers;
      // A monitor of its own: nothing cached from the case before.
      monitor.dispose();
      monitor = newMonitor();
      const state = await probeState();
      // The status path: the probe ends in facts or in a reason, and either renders safely.
      if (c.status === 'shown') {
        assert.equal(state.kind, 'ok', `status: ${JSON.stringify(state).slice(0, 500)}`);
        if (state.kind === 'ok') {
          for (const [field, value] of Object.entries(state.info)) {
            if (typeof value === 'string') {
              assert.ok(
                !UNSAFE_CHAR.test(value),
                `${field} keeps a control character: ${JSON.stringify(value.slice(0, 80))}`,
              );
              assert.ok([...value].length <= DAEMON_TEXT_MAX, `${field} is ${value.length} characters long`);
            }
          }
        }
      } else {
        assert.equal(state.kind, 'failed', `status: ${JSON.stringify(state).slice(0, 300)}`);
      }
      const tip = tooltipOf(state);
      const facts = markdownFacts(tip.md);
      assert.deepEqual(facts.images, [], 'no image in the tooltip');
      assert.deepEqual(bareAutolinks(tip.md), [], 'no web address marked would make a link');
      assert.deepEqual(facts.html, [], 'no raw HTML in the tooltip');
      if (state.kind === 'ok') {
        assert.deepEqual(facts.links, ownLinks, 'only the extension’s own links in the tooltip');
      }
      for (const href of facts.links) {
        assert.ok(
          tip.enabled.some((cmd) => href === `command:${cmd}` || href.startsWith(`command:${cmd}?`)),
          `a link the tooltip does not allow: ${href}`,
        );
      }
      assert.ok(!/(?<!\\)\$\(/.test(tip.text.replace(/^\$\([a-z-~]+\) /, '')), `an icon from the daemon: ${tip.text}`);
      assert.ok(!UNSAFE_CHAR.test(tip.text), 'one line of status text');

      // Show Remote Engine Info: a bounded read ending in a document or a clear reason.
      const raw = await monitor.rawInfo(subject, AbortSignal.timeout(60_000)).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      if (c.raw === 'shown') {
        assert.ok(raw.ok, `Show Remote Engine Info failed: ${raw.ok ? '' : String(raw.e)}`);
        const doc = visibleJson(raw.r);
        assert.ok(!/[\p{Cf}\p{Zl}\p{Zp}]/u.test(doc), 'the document shows every invisible character as an escape');
      } else {
        assert.ok(!raw.ok, 'Show Remote Engine Info must refuse this answer');
        assert.ok(raw.e instanceof CoreError, String(raw.e));
        const sentence = reasonText(raw.e.reason, raw.e.details).message;
        assert.ok(!sentence.includes('?'), `a clear reason, not: ${sentence}`);
      }
      counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    });
  }

  it('counts the answers by kind', (t) => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`hostile daemon answers handled, by kind (${total} of ${CASES.length}):`);
    for (const [k, n] of counts) {
      t.diagnostic(`  ${k.padEnd(12)} ${n}`);
    }
    assert.equal(total, CASES.length);
  });
});
