/**
 * The shapes the sync works on: one entry per file, directory or symlink of a tree, keyed by its
 * path relative to the tree's root in POSIX form (`app/index.html`), on either side.
 */

export type EntryType = 'file' | 'dir' | 'symlink';

export interface TreeEntry {
  /** Relative POSIX path, never empty, never with `.` or `..` components. */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /** Bytes (files only; 0 otherwise). */
  readonly size: number;
  /** Whole seconds: SFTP (v3) carries no fractions, so both sides compare seconds. */
  readonly mtime: number;
  /** Remote only, whole seconds: when the copy was last written (its inode change time). */
  readonly ctime?: number;
  /** Symlinks: the link's text, as readlink returns it (never followed). */
  readonly target?: string;
}

/** What one sync will do; every path is relative to the roots. */
export interface SyncPlan {
  /** Directories to create, parents first. */
  readonly mkdirs: readonly TreeEntry[];
  /** Files whose content travels. */
  readonly uploads: readonly TreeEntry[];
  /** The uploads that replace a remote file (written aside and renamed over it); the others are new. */
  readonly overwrites: ReadonlySet<string>;
  /** Symlinks to (re)create with the local link text. */
  readonly symlinks: readonly TreeEntry[];
  /** Same content, other mode or mtime: only the attributes are set. */
  readonly attributes: readonly TreeEntry[];
  /** Same size, but the times cannot prove the content equal: compare content hashes first. */
  readonly verify: readonly TreeEntry[];
  /** Remote paths to remove, children before their directory. */
  readonly deletes: readonly TreeEntry[];
  /** Bytes the uploads carry (for progress). */
  readonly uploadBytes: number;
}

export interface SyncProgress {
  readonly phase: 'listing' | 'hashing' | 'transferring' | 'deleting' | 'done';
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface SyncResult {
  readonly remoteDir: string;
  readonly uploaded: number;
  readonly uploadedBytes: number;
  readonly deleted: number;
  readonly attributesSet: number;
  readonly symlinks: number;
  readonly directoriesCreated: number;
  /** Files whose content was compared by hash (and how many turned out equal). */
  readonly verified: number;
  readonly verifiedEqual: number;
  readonly unchanged: number;
  /** True when the run went the batched way (one `rm`, one tar stream), false when only SFTP was used. */
  readonly batched?: boolean;
}
