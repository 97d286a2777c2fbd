/**
 * The walkthrough as the manifest declares it: every page and picture it names (in each
 * language) exists and is shipped, every button runs a command that exists, every step
 * completes on an event of this extension, and the welcome views open this walkthrough.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '../../..');
const read = <T>(rel: string): T => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8')) as T;

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string; altText?: string };
  completionEvents: string[];
}
interface Manifest {
  name: string;
  publisher: string;
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
    walkthroughs: { id: string; title: string; steps: Step[] }[];
  };
}

const pkg = read<Manifest>('package.json');
const languages: Record<string, Record<string, string>> = {
  en: read('package.nls.json'),
  'zh-cn': read('package.nls.zh-cn.json'),
};
const walkthrough = pkg.contributes.walkthroughs.find((w) => w.id === 'remoteDocker.gettingStarted');
const steps = walkthrough?.steps ?? [];

/** `%key%` as the language shows it (VS Code replaces any such string of the manifest). */
function resolve(value: string, lang: string): string {
  const m = /^%(.+)%$/.exec(value);
  return m?.[1] !== undefined ? (languages[lang]?.[m[1]] ?? value) : value;
}

/**
 * Commands of features that are contributed by other parts of the product as they land (the
 * workspace context, the Ports view); the walkthrough already names them.
 */
const LANDING = new Set(['remoteDocker.useContextInWorkspace', 'remoteDocker.ports.focus']);
const LANDING_VIEWS = new Set(['remoteDocker.ports']);

test('the walkthrough leads from connecting to switching, the remote platform, the workspace and ports', () => {
  assert.deepEqual(
    steps.map((s) => s.id),
    ['connect', 'switch', 'remoteOs', 'workspace', 'ports'],
  );
  assert.deepEqual(steps[0]?.completionEvents, ['onCommand:remoteDocker.connectToRemoteHost']);
});

test('every page and picture exists in every language and is shipped', () => {
  const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  assert.match(ignore, /^!media\/walkthrough\/\*\*$/m);
  for (const lang of Object.keys(languages)) {
    for (const s of steps) {
      for (const file of [s.media.markdown, s.media.image].filter((f): f is string => f !== undefined)) {
        const rel = resolve(file, lang);
        assert.ok(rel.startsWith('media/walkthrough/'), `${s.id} (${lang}): ${rel}`);
        assert.ok(fs.existsSync(path.join(root, rel)), `${s.id} (${lang}): ${rel} is missing`);
      }
      assert.notEqual(resolve(s.title, lang), s.title, `${s.id}: title not localized in ${lang}`);
    }
  }
});

test('every button runs a command that exists, and every step completes on an event of this extension', () => {
  const commands = new Set(pkg.contributes.commands.map((c) => c.command));
  const views = new Set(
    Object.values(pkg.contributes.views)
      .flat()
      .map((v) => v.id),
  );
  const known = (id: string): boolean =>
    commands.has(id) || LANDING.has(id) || (id.endsWith('.focus') && views.has(id.slice(0, -'.focus'.length)));
  for (const lang of Object.keys(languages)) {
    for (const s of steps) {
      const links = [...resolve(s.description, lang).matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1] ?? '');
      assert.ok(links.length > 0, `${s.id} (${lang}) has no button`);
      for (const id of links) {
        assert.ok(known(id), `${s.id} (${lang}): no command ${id}`);
      }
    }
  }
  for (const s of steps) {
    for (const ev of s.completionEvents) {
      const [kind, id = ''] = ev.split(':');
      assert.ok(
        (kind === 'onCommand' && known(id)) || (kind === 'onView' && (views.has(id) || LANDING_VIEWS.has(id))),
        `${s.id}: ${ev}`,
      );
    }
  }
});

test('the welcome view of an empty SSH Hosts view opens this walkthrough', () => {
  const id = `${pkg.publisher}.${pkg.name}#${walkthrough?.id ?? '?'}`;
  const arg = encodeURIComponent(JSON.stringify([id, false]));
  for (const lang of Object.keys(languages)) {
    const texts = pkg.contributes.viewsWelcome
      .filter((w) => w.view === 'remoteDocker.sshHosts')
      .map((w) => resolve(w.contents, lang));
    assert.ok(
      texts.some((t) => t.includes(`(command:workbench.action.openWalkthrough?${arg})`)),
      `${lang}: no link to ${id}`,
    );
  }
});
