/**
 * The layout's rules, checked on the import graph of `src/` (every `import`, `import type` and
 * `export … from`, parsed by TypeScript itself): no cycles; the core imports neither `vscode` nor
 * the UI; the UI's ground floor (`src/ui/base`) imports no feature folder; and a command handler
 * is imported by the command registry only, so guided flows share steps through `src/ui/flows`
 * instead of calling each other's handlers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ts from 'typescript';

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

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Repository-relative, forward slashes: `src/ui/base/commandIds.ts`. */
const rel = (p: string): string => path.relative(root, p).split(path.sep).join('/');

interface Module {
  /** Other files of `src/` this one imports. */
  local: string[];
  /** Bare specifiers (`vscode`, `node:fs`, `ssh2`). */
  packages: string[];
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) {
      return rel(candidate);
    }
  }
  throw new Error(`${rel(from)}: cannot resolve ${spec}`);
}

function importGraph(): Map<string, Module> {
  const graph = new Map<string, Module>();
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const specs = info.importedFiles.map((f) => f.fileName);
    graph.set(rel(file), {
      local: specs.filter((s) => s.startsWith('.')).map((s) => resolveLocal(file, s)),
      packages: specs.filter((s) => !s.startsWith('.')),
    });
  }
  return graph;
}

/** Every cycle's members, found as the strongly connected components with more than one file (or a self-import). */
export function cycles(graph: ReadonlyMap<string, { local: readonly string[] }>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.local ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.local.includes(v)) {
        found.push(component.sort());
      }
    }
  };
  for (const v of graph.keys()) {
    if (!index.has(v)) {
      visit(v);
    }
  }
  return found;
}

const graph = importGraph();

test('the cycle finder finds a cycle (the rule below can fail)', () => {
  const g = new Map([
    ['a', { local: ['b'] }],
    ['b', { local: ['c'] }],
    ['c', { local: ['a'] }],
    ['d', { local: ['a'] }],
  ]);
  assert.deepEqual(cycles(g), [['a', 'b', 'c']]);
  assert.deepEqual(
    cycles(
      new Map([
        ['a', { local: ['b'] }],
        ['b', { local: [] }],
      ]),
    ),
    [],
  );
});

test('no import cycles under src/', () => {
  assert.ok(graph.size > 50, 'the graph holds the source tree');
  assert.deepEqual(cycles(graph), []);
});

test('src/core imports neither vscode nor src/ui', () => {
  const bad = [...graph]
    .filter(([f]) => f.startsWith('src/core/'))
    .flatMap(([f, m]) => [
      ...m.packages.filter((p) => p === 'vscode').map((p) => `${f} → ${p}`),
      ...m.local.filter((l) => !l.startsWith('src/core/')).map((l) => `${f} → ${l}`),
    ]);
  assert.deepEqual(bad, []);
});

test('src/ui/base (the ground floor) imports no feature folder', () => {
  const bad = [...graph]
    .filter(([f]) => f.startsWith('src/ui/base/'))
    .flatMap(([f, m]) =>
      m.local.filter((l) => !l.startsWith('src/ui/base/') && !l.startsWith('src/core/')).map((l) => `${f} → ${l}`),
    );
  assert.deepEqual(bad, []);
});

test('a command handler is imported by the command registry only', () => {
  const registry = 'src/ui/registerCommands.ts';
  const handlers = new Set(
    graph.get(registry)!.local.filter((l) => !l.startsWith('src/ui/base/') && l !== 'src/ui/services.ts'),
  );
  assert.ok(handlers.size >= 15, 'the registry imports the handlers');
  const bad = [...graph]
    .filter(([f]) => f !== registry)
    .flatMap(([f, m]) => m.local.filter((l) => handlers.has(l)).map((l) => `${f} → ${l}`));
  assert.deepEqual(bad, []);
});
