import * as path from 'node:path';
import type { WatchTarget } from '../common/watch';
import { readConfigText } from './sshConfig';
import { parseDocument } from './sshConfigDocument';
import { anchorInclude } from './sshInclude';

const MAGIC = /[*?[]/;

/**
 * What to watch so the SSH Hosts view sees every change ssh would see: the main file (even
 * before it exists), every file the configuration read, and for each `Include` what its pattern
 * names — the file itself, or, for a glob, the directory the glob starts in, because a new
 * matching file (the first one in `conf.d/`, say) is not among the files read yet. Directory
 * watches are limited to `~/.ssh`, the main file's folder and `/etc/ssh`.
 */
export async function sshConfigWatchTargets(o: {
  configFile: string;
  files: readonly string[];
  home: string;
}): Promise<WatchTarget[]> {
  const out = new Map<string, WatchTarget>();
  const add = (t: WatchTarget): void => {
    const key = `${t.kind}:${path.resolve(t.path)}`;
    if (!out.has(key)) {
      out.set(key, t);
    }
  };
  const roots = [path.join(o.home, '.ssh'), path.dirname(o.configFile), '/etc/ssh'];
  add({ path: o.configFile, kind: 'file' });
  for (const f of o.files) {
    add({ path: f, kind: 'file' });
  }
  for (const f of o.files) {
    let text: string;
    try {
      text = await readConfigText(f);
    } catch {
      continue; // gone since it was read: its own target reports that
    }
    for (const p of parseDocument(text).parsed) {
      if (p.kind !== 'directive' || p.key !== 'include') {
        continue;
      }
      for (const arg of p.args) {
        const pattern = anchorInclude(arg, { home: o.home, userConf: true, systemDir: '/etc/ssh' });
        if (pattern === undefined || !path.isAbsolute(pattern)) {
          continue; // refused by ssh, or `~otheruser/…`, which is never read
        }
        const target = includeTarget(pattern);
        // A directory is watched recursively; a glob rooted elsewhere (`~/*/ssh.conf`) could
        // mean the whole home, so only the usual places get a directory watch.
        if (target.kind === 'file' || roots.some((r) => isInside(target.path, r))) {
          add(target);
        }
      }
    }
  }
  return [...out.values()];
}

/** A plain path is watched as a file; a glob through the deepest directory without a wildcard. */
export function includeTarget(pattern: string): WatchTarget {
  if (!MAGIC.test(pattern)) {
    return { path: pattern, kind: 'file' };
  }
  let dir = pattern;
  while (MAGIC.test(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      break;
    }
    dir = parent;
  }
  return { path: dir, kind: 'tree' };
}

function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
