/**
 * What a sync must do, as a pure function of the two listings: no I/O here, so every rule is
 * unit-tested on its own.
 *
 * - A file travels when its size differs. Equal size and equal mtime (whole seconds) means
 *   unchanged, unless the local mtime is not older than the remote copy's ctime (the second it
 *   was written): an edit within that same second would keep size and mtime, so its content is
 *   compared by hash (`verify`), as Git does for its "racily clean" entries. Equal size but
 *   another mtime is compared by hash too: a copy made by another tool need not travel again.
 * - Deletions follow: a remote entry the folder lacks goes, unless the excluder leaves it out
 *   (the remote's own `node_modules`, build output…); a directory holding such an entry stays.
 * - A type change (file ↔ directory ↔ symlink) removes the remote entry, and all below it, first.
 */
import type { SyncPlan, TreeEntry } from './syncTypes';

function byPath(a: TreeEntry, b: TreeEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function isSorted(es: readonly TreeEntry[]): boolean {
  for (let i = 1; i < es.length; i++) {
    if (es[i - 1].path >= es[i].path) {
      return false;
    }
  }
  return true;
}

function parentsOf(p: string): string[] {
  const out: string[] = [];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
    out.push(p.slice(0, i));
  }
  return out;
}

export function planSync(
  local: readonly TreeEntry[],
  remote: readonly TreeEntry[],
  excludes: (rel: string) => boolean = () => false,
): SyncPlan {
  const remoteByPath = new Map(remote.map((e) => [e.path, e]));
  const localByPath = new Map(local.map((e) => [e.path, e]));
  const mkdirs: TreeEntry[] = [];
  const uploads: TreeEntry[] = [];
  const symlinks: TreeEntry[] = [];
  const attributes: TreeEntry[] = [];
  const verify: TreeEntry[] = [];
  const overwrites = new Set<string>();
  /** Remote paths replaced by another type: they and everything below them go. */
  const replaced: string[] = [];

  for (const l of isSorted(local) ? local : [...local].sort(byPath)) {
    const r = remoteByPath.get(l.path);
    if (r && r.type !== l.type) {
      replaced.push(l.path);
    }
    if (!r || r.type !== l.type) {
      (l.type === 'dir' ? mkdirs : l.type === 'file' ? uploads : symlinks).push(l);
      continue;
    }
    if (l.type === 'dir') {
      if (l.mode !== r.mode) {
        attributes.push(l);
      }
    } else if (l.type === 'symlink') {
      if (l.target !== r.target) {
        replaced.push(l.path);
        symlinks.push(l);
      }
    } else if (l.size !== r.size) {
      uploads.push(l);
      overwrites.add(l.path);
    } else if (l.mtime !== r.mtime || (r.ctime !== undefined && l.mtime >= r.ctime)) {
      verify.push(l);
    } else if (l.mode !== r.mode) {
      attributes.push(l);
    }
  }

  const deletes = plannedDeletes(remote, localByPath, replaced, excludes);
  return {
    mkdirs,
    uploads,
    overwrites,
    symlinks,
    attributes,
    verify,
    deletes,
    uploadBytes: uploads.reduce((n, e) => n + e.size, 0),
  };
}

function plannedDeletes(
  remote: readonly TreeEntry[],
  localByPath: ReadonlyMap<string, TreeEntry>,
  replaced: readonly string[],
  excludes: (rel: string) => boolean,
): TreeEntry[] {
  const replacedSet = new Set(replaced);
  // Most runs replace nothing: then no path's parents need looking at (10,000 of them add up).
  const underReplaced = (p: string): boolean =>
    replacedSet.size > 0 && (replacedSet.has(p) || parentsOf(p).some((q) => replacedSet.has(q)));
  // Excluded remote entries the folder lacks are kept, and so are the directories above them.
  const kept = new Set<string>();
  for (const r of remote) {
    if (!localByPath.has(r.path) && !underReplaced(r.path) && excludes(r.path)) {
      kept.add(r.path);
      for (const q of parentsOf(r.path)) {
        kept.add(q);
      }
    }
  }
  return remote
    .filter((r) => underReplaced(r.path) || (!localByPath.has(r.path) && !kept.has(r.path)))
    .sort((a, b) => byPath(b, a));
}

/** The plan once the `verify` files were compared: equal content only needs its attributes set. */
export function applyVerification(plan: SyncPlan, equal: ReadonlySet<string>): SyncPlan {
  const same = plan.verify.filter((e) => equal.has(e.path));
  const differ = plan.verify.filter((e) => !equal.has(e.path));
  const uploads = [...plan.uploads, ...differ].sort(byPath);
  return {
    ...plan,
    uploads,
    overwrites: new Set([...plan.overwrites, ...differ.map((e) => e.path)]),
    // Setting the times again also moves the remote ctime past the local mtime: no re-check next time.
    attributes: [...plan.attributes, ...same].sort(byPath),
    verify: [],
    uploadBytes: uploads.reduce((n, e) => n + e.size, 0),
  };
}
