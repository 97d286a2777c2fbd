import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ts from 'typescript';
import { ALL_COMMAND_IDS, CommandIds, PortsCommandIds } from '../../src/ui/base/commandIds';
import { CONTEXT_VALUE_TOKENS, contextItemValue, portItemValue } from '../../src/ui/base/contextValues';
import { ViewIds, WhenKeys } from '../../src/ui/base/ids';

// package.json is checked against the code: the most common drift in an extension is a command,
// menu, string key or viewItem that exists on one side only.

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (
      fs.existsSync(p) &&
      (JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string }).name === 'remote-docker-contexts'
    ) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error('repository root not found');
    }
  }
}

const root = repoRoot();
const readJson = <T>(rel: string): T => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8')) as T;

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

/** The parts of package.json these tests read. */
interface Manifest {
  icon: string;
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    menus?: Record<string, MenuEntry[]>;
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { icon: string }[] };
    viewsWelcome?: { view: string; when?: string }[];
  };
}
const pkg = readJson<Manifest>('package.json');
const contributes = pkg.contributes;
function menuEntries(): { menu: string; entry: MenuEntry }[] {
  return Object.entries(contributes.menus ?? {}).flatMap(([menu, entries]) =>
    entries.map((entry) => ({ menu, entry })),
  );
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

test('every contributed command is in the command-id table, and every table entry is contributed', () => {
  const contributed = contributes.commands.map((c) => c.command).sort();
  const table = [...ALL_COMMAND_IDS].sort();
  assert.deepEqual(contributed, table);
});

test('every command-id table entry gets a handler in registerCommands.ts', () => {
  const file = path.join(root, 'src/ui/registerCommands.ts');
  const handlerKeys: string[] = [];
  walk(parse(file), (n) => {
    if (
      ts.isVariableDeclaration(n) &&
      n.name.getText() === 'HANDLERS' &&
      n.initializer &&
      ts.isObjectLiteralExpression(n.initializer)
    ) {
      for (const p of n.initializer.properties) {
        handlerKeys.push(p.name?.getText() ?? '?');
      }
    }
  });
  assert.deepEqual(handlerKeys.sort(), Object.keys(CommandIds).sort());
});

test('every command named in menus and activation events is contributed', () => {
  const known = new Set(contributes.commands.map((c) => c.command));
  for (const { menu, entry } of menuEntries()) {
    assert.ok(known.has(entry.command), `${menu}: ${entry.command} is not a contributed command`);
  }
  const views = new Set(
    Object.values(contributes.views)
      .flat()
      .map((v) => v.id),
  );
  for (const ev of pkg.activationEvents) {
    if (ev.startsWith('onCommand:')) {
      assert.ok(known.has(ev.slice('onCommand:'.length)), ev);
    } else if (ev.startsWith('onView:')) {
      assert.ok(views.has(ev.slice('onView:'.length)), ev);
    }
  }
  for (const c of known) {
    assert.ok(pkg.activationEvents.includes(`onCommand:${c}`), `no activation event for ${c}`);
  }
});

/** `viewItem =~ /re/` and `viewItem == value` parts of a when clause. */
function viewItemClauses(when: string): { regex?: RegExp; equals?: string }[] {
  const out: { regex?: RegExp; equals?: string }[] = [];
  for (const m of when.matchAll(/viewItem\s*=~\s*\/((?:\\.|[^/])*)\/([a-z]*)/g)) {
    out.push({ regex: new RegExp(m[1], m[2]) });
  }
  for (const m of when.matchAll(/viewItem\s*==\s*'?([^\s&|')]+)'?/g)) {
    out.push({ equals: m[1] });
  }
  return out;
}

test('every viewItem token used in a when clause exists in contextValues.ts', () => {
  const tokens = new Set(CONTEXT_VALUE_TOKENS);
  let seen = 0;
  for (const { menu, entry } of menuEntries()) {
    for (const clause of viewItemClauses(entry.when ?? '')) {
      const words = clause.regex
        ? (clause.regex.source.match(/[A-Za-z]{2,}/g) ?? [])
        : (clause.equals ?? '').split('+');
      for (const w of words) {
        seen++;
        assert.ok(tokens.has(w), `${menu} ${entry.command}: "${w}" is not a token in contextValues.ts`);
      }
    }
  }
  assert.ok(seen > 0, 'no viewItem clause found: the check would be vacuous');
});

test('item menus offer Use, Inspect, Remove, Open meta.json and the engine commands exactly for the right states', () => {
  const itemMenus = menuEntries().filter(({ menu }) => menu === 'view/item/context');
  const offered = (value: string, group?: RegExp): Set<string> =>
    new Set(
      itemMenus
        .filter(({ entry }) => !group || group.test(entry.group ?? ''))
        .filter(({ entry }) =>
          viewItemClauses(entry.when ?? '').every((c) => (c.regex ? c.regex.test(value) : c.equals === value)),
        )
        .map(({ entry }) => entry.command),
    );
  let states = 0;
  for (const isDefault of [false, true]) {
    for (const current of [false, true]) {
      for (const broken of [false, true]) {
        // `missing`: the current context named in config.json does not exist on disk.
        for (const missing of broken && current && !isDefault ? [false, true] : [false]) {
          // A broken context is never probed, so it is never unreachable.
          for (const unreachable of broken ? [false] : [false, true]) {
            const value = contextItemValue({ isDefault, current, broken, missing, unreachable });
            const cmds = offered(value);
            states++;
            assert.equal(cmds.has(CommandIds.useContext), !current && !broken, `Use for ${value}`);
            assert.equal(cmds.has(CommandIds.inspectContext), !broken, `Inspect for ${value}`);
            assert.equal(cmds.has(CommandIds.removeContext), !isDefault && !missing, `Remove for ${value}`);
            assert.equal(
              cmds.has(CommandIds.openContextMeta),
              broken && !isDefault && !missing,
              `Open meta.json for ${value}`,
            );
            assert.equal(cmds.has(CommandIds.showEngineInfo), !broken, `Show Remote Engine Info for ${value}`);
            assert.equal(cmds.has(CommandIds.diagnoseContext), !broken, `Diagnose for ${value}`);
            assert.equal(cmds.has(CommandIds.connectEngine), unreachable, `Connect for ${value}`);
            assert.equal(
              offered(value, /^inline/).has(CommandIds.diagnoseContext),
              unreachable,
              `inline Diagnose for ${value}`,
            );
          }
        }
      }
    }
  }
  assert.equal(states, 13);
});

test('Ports rows offer Open in Browser and Copy Local Address while listening, Stop unless stopped, Forward Again unless listening', () => {
  const itemMenus = menuEntries().filter(({ menu }) => menu === 'view/item/context');
  const offered = (value: string, group: RegExp): Set<string> =>
    new Set(
      itemMenus
        .filter(
          ({ entry }) => group.test(entry.group ?? '') && (entry.when ?? '').includes('view == remoteDocker.ports'),
        )
        .filter(({ entry }) => viewItemClauses(entry.when ?? '').every((c) => (c.regex ? c.regex.test(value) : false)))
        .map(({ entry }) => entry.command),
    );
  let states = 0;
  for (const manual of [false, true]) {
    // A stopped forward has no listener.
    for (const [listening, stopped] of [
      [true, false],
      [false, false],
      [false, true],
    ]) {
      const value = portItemValue({ manual, listening, stopped });
      for (const group of [/^inline/, /^\d_/]) {
        const cmds = offered(value, group);
        states++;
        assert.equal(cmds.has(PortsCommandIds.openInBrowser), listening, `Open for ${value} ${group}`);
        assert.equal(cmds.has(PortsCommandIds.copyLocalAddress), listening, `Copy for ${value} ${group}`);
        assert.equal(cmds.has(PortsCommandIds.stopForwarding), !stopped, `Stop for ${value} ${group}`);
        assert.equal(cmds.has(PortsCommandIds.forwardAgain), !listening, `Forward Again for ${value} ${group}`);
      }
    }
  }
  assert.equal(states, 12);
  // A container row offers none of them.
  assert.equal(offered('portContainer', /./).size, 0);
});

function nlsKeys(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const m = /^%(.+)%$/.exec(value);
    if (m) {
      out.add(m[1]);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v) => nlsKeys(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => nlsKeys(v, out));
  }
  return out;
}

test('every %key% in package.json is in package.nls.json and package.nls.zh-cn.json, and no key is stale', () => {
  const used = [...nlsKeys(pkg)].sort();
  assert.ok(used.length > 10);
  for (const file of ['package.nls.json', 'package.nls.zh-cn.json']) {
    const keys = Object.keys(readJson<Record<string, string>>(file)).sort();
    assert.deepEqual(keys, used, file);
  }
});

const PLACEHOLDER = /\{(\d+)\}/g;
const placeholders = (s: string): string[] => [...s.matchAll(PLACEHOLDER)].map((m) => m[1]).sort();

/** First arguments of every `l10n.t(...)` call under src/ui and in src/extension.ts. */
function l10nStrings(): { file: string; line: number; text: string | undefined }[] {
  const files = [...sourceFiles(path.join(root, 'src/ui')), path.join(root, 'src/extension.ts')];
  const out: { file: string; line: number; text: string | undefined }[] = [];
  for (const file of files) {
    const sf = parse(file);
    walk(sf, (n) => {
      if (ts.isCallExpression(n) && /(^|\.)l10n\.t$/.test(n.expression.getText())) {
        const arg = n.arguments[0];
        const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        const literal =
          arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) ? arg.text : undefined;
        out.push({ file: path.relative(root, file), line, text: literal });
      }
    });
  }
  return out;
}

test('every vscode.l10n.t string is a literal with a Chinese translation carrying the same placeholders', () => {
  const bundle = readJson<Record<string, string>>('l10n/bundle.l10n.zh-cn.json');
  const strings = l10nStrings();
  assert.ok(strings.length > 50, `only ${strings.length} l10n.t calls found: the scan is broken`);
  for (const s of strings) {
    assert.ok(s.text !== undefined, `${s.file}:${s.line}: l10n.t needs a string literal so it can be translated`);
    const zh = bundle[s.text];
    assert.ok(
      typeof zh === 'string' && zh.length > 0,
      `${s.file}:${s.line}: no zh-cn translation for ${JSON.stringify(s.text)}`,
    );
    assert.deepEqual(
      placeholders(zh),
      placeholders(s.text),
      `${s.file}:${s.line}: placeholders differ for ${JSON.stringify(s.text)}`,
    );
  }
  const used = new Set(strings.map((s) => s.text));
  const stale = Object.keys(bundle).filter((k) => !used.has(k));
  assert.deepEqual(stale, [], 'translations of strings no longer in the code');
});

test('the icons the manifest names exist; the marketplace icon is a 128×128 PNG', () => {
  const icon = fs.readFileSync(path.join(root, pkg.icon));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(icon.readUInt32BE(16), 128);
  assert.equal(icon.readUInt32BE(20), 128);
  for (const c of contributes.viewsContainers.activitybar) {
    assert.ok(fs.readFileSync(path.join(root, c.icon), 'utf8').includes('<svg'), c.icon);
  }
});

test('the view ids of the ground floor are the views package.json contributes, and every when-key it sets is read there', () => {
  const views = Object.values(contributes.views)
    .flat()
    .map((v) => v.id)
    .sort();
  assert.deepEqual(views, Object.values(ViewIds).sort());
  const whens = [
    ...(contributes.viewsWelcome ?? []).map((w) => w.when ?? ''),
    ...menuEntries().map(({ entry }) => entry.when ?? ''),
  ].join('\n');
  for (const key of Object.values(WhenKeys)) {
    assert.ok(whens.includes(key), `${key} is set but no when clause reads it`);
  }
});
