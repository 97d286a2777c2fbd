/**
 * known_hosts, read and appended the way OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT",
 * hostfile.c), so that a host trusted here is trusted by `ssh` and the docker CLI and vice versa.
 *
 * Semantics checked against OpenSSH 9.2's own client:
 * - the name looked up is HostKeyAlias when set (lower-cased, never with a port), else the host
 *   lower-cased, bare for port 22 and `[host]:port` otherwise;
 * - all user files and then all global files are searched together; a line with the presented
 *   key trusts it, unless a matching `@revoked` line names the same key;
 * - any other key held for the name, of any type, makes the presented key "changed": OpenSSH
 *   reports "REMOTE HOST IDENTIFICATION HAS CHANGED" even when only the key type differs.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreError } from '../common/errors';
import { errnoCode } from '../common/fsutil';
import { MAX_KNOWN_HOSTS_BYTES, readRegularFile, readRegularFileIfExists } from '../sshConfig/readRegularFile';
import { keyBlobType } from './keyBlob';

export interface HostKeyTarget {
  host: string;
  port: number;
  hostKeyAlias?: string;
  /** UserKnownHostsFile values (`~` is expanded; `none` is skipped). New keys go to the first. */
  userKnownHostsFiles: string[];
  /** GlobalKnownHostsFile values, read only. */
  globalKnownHostsFiles: string[];
}

export type HostKeyCheck =
  | { status: 'trusted'; file: string; line: number }
  | { status: 'unknown'; knownTypes: string[] }
  | { status: 'changed'; file: string; line: number; knownType: string }
  | { status: 'revoked'; file: string; line: number };

/** One parsed known_hosts line. */
export interface KnownHostsEntry {
  file: string;
  /** 1-based. */
  line: number;
  marker: 'none' | 'cert-authority' | 'revoked';
  /** The host field as written: a pattern list or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** The type name at the start of an SSH public key blob, e.g. `ssh-ed25519`. */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  const type = keyBlobType(keyBlob);
  if (type === undefined) {
    throw new CoreError('keyInvalid', 'The host key is not an SSH public key blob.');
  }
  return type;
}

/** `SHA256:` + unpadded base64 of SHA-256 over the blob: what `ssh-keygen -l` and ssh print. */
export { keyBlobFingerprint as hostKeyFingerprint } from './keyBlob';

/**
 * The name known_hosts stores for a target. OpenSSH 9.2 lower-cases HostKeyAlias and uses it
 * as-is for any port (`-o HostKeyAlias=MyAlias -p 2222` writes `myalias`); otherwise the host
 * is lower-cased and written `[host]:port` unless the port is 22 (misc.c put_host_port).
 */
export function knownHostsName(target: HostKeyTarget): string {
  if (target.hostKeyAlias) {
    return target.hostKeyAlias.toLowerCase();
  }
  const host = target.host.toLowerCase();
  return target.port === 22 || target.port === 0 ? host : `[${host}]:${target.port}`;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, the format of `HashKnownHosts yes`. */
export function hashKnownHostsName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${mac}`;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal. */
function globMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') {
    p++;
  }
  return p === pattern.length;
}

/**
 * match_hostname/match_pattern_list: comma-separated patterns, compared case-insensitively
 * (both sides lower-cased); a matching `!pattern` rejects the line even when another matched.
 */
function patternListMatches(host: string, list: string): boolean {
  const name = host.toLowerCase();
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (globMatch(name, pattern)) {
      if (negated) {
        return false;
      }
      positive = true;
    }
  }
  return positive;
}

function hashedNameMatches(name: string, field: string): boolean {
  // |1|salt|hash — the salt must be SHA-1 sized, as hostfile.c extract_salt insists.
  const parts = field.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1' || !parts[2] || !parts[3]) {
    return false;
  }
  const salt = Buffer.from(parts[2], 'base64');
  if (salt.length !== 20) {
    return false;
  }
  return createHmac('sha1', salt).update(name).digest('base64') === parts[3];
}

/**
 * Whether a line's host field names `name`. Plain patterns ignore case; a hashed name matches
 * only the exact string that was hashed (OpenSSH hashes the lower-cased name).
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  return hosts.startsWith('|') ? hashedNameMatches(name, hosts) : patternListMatches(name, hosts);
}

/**
 * Parses known_hosts text. Comments, blank lines and lines OpenSSH would reject (unknown
 * marker, missing key, key type that disagrees with the blob) are left out.
 */
export function parseKnownHosts(text: string, file: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i] ?? '', file, i + 1);
    if (entry) {
      entries.push(entry);
    }
  }
  return entries;
}

function parseLine(raw: string, file: string, line: number): KnownHostsEntry | undefined {
  const text = raw.replace(/\r$/, '').replace(/^[ \t]+/, '');
  if (text === '' || text.startsWith('#')) {
    return undefined;
  }
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostsEntry['marker'] = 'none';
  if (fields[0]?.startsWith('@')) {
    const m = fields.shift();
    if (m === '@cert-authority') {
      marker = 'cert-authority';
    } else if (m === '@revoked') {
      marker = 'revoked';
    } else {
      return undefined;
    }
  }
  const [hosts, keyType, b64] = fields;
  if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    return undefined;
  }
  const key = Buffer.from(b64, 'base64');
  if (keyBlobType(key) !== keyType) {
    return undefined;
  }
  return { file, line, marker, hosts, keyType, key };
}

function expandPath(file: string): string {
  if (file === '~') {
    return os.homedir();
  }
  if (file.startsWith('~/')) {
    return path.join(os.homedir(), file.slice(2));
  }
  return file;
}

function knownHostsFiles(list: string[]): string[] {
  return list.filter((f) => f !== '' && f.toLowerCase() !== 'none').map(expandPath);
}

/**
 * A known_hosts file's text, or undefined when it does not exist. Read like the configuration
 * files (regular files only, non-blocking, capped): a FIFO or a device named as
 * UserKnownHostsFile would otherwise hang the connection before it starts.
 */
async function readKnownHostsFile(file: string): Promise<string | undefined> {
  // Unlike ssh, which skips a file it cannot read, refuse: guessing "unknown" for a host that
  // may well be listed there would turn a permission problem into a trust prompt.
  return (await readRegularFileIfExists(file, MAX_KNOWN_HOSTS_BYTES))?.toString('utf8');
}

/** Every line (user files first, then global files, in file order) whose host field names the target. */
export async function matchingEntries(target: HostKeyTarget): Promise<KnownHostsEntry[]> {
  const name = knownHostsName(target);
  const out: KnownHostsEntry[] = [];
  const seen = new Set<string>();
  for (const file of [
    ...knownHostsFiles(target.userKnownHostsFiles),
    ...knownHostsFiles(target.globalKnownHostsFiles),
  ]) {
    if (seen.has(file)) {
      continue;
    }
    seen.add(file);
    const text = await readKnownHostsFile(file);
    if (text === undefined) {
      continue;
    }
    for (const entry of parseKnownHosts(text, file)) {
      if (hostFieldMatches(entry.hosts, name)) {
        out.push(entry);
      }
    }
  }
  return out;
}

/**
 * Checks a presented host key against all the target's files. `@revoked` for this key wins over
 * everything; `@cert-authority` lines do not vouch for plain keys. See the file comment for why
 * a key of another type than the held ones is "changed", as in OpenSSH.
 */
export async function checkHostKey(target: HostKeyTarget, keyBlob: Buffer): Promise<HostKeyCheck> {
  const entries = await matchingEntries(target);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob));
  if (revoked) {
    return { status: 'revoked', file: revoked.file, line: revoked.line };
  }
  const plain = entries.filter((e) => e.marker === 'none');
  const trusted = plain.find((e) => e.key.equals(keyBlob));
  if (trusted) {
    return { status: 'trusted', file: trusted.file, line: trusted.line };
  }
  if (plain.length > 0) {
    const type = keyBlobType(keyBlob);
    const offending = plain.find((e) => e.keyType === type) ?? plain[0];
    return { status: 'changed', file: offending.file, line: offending.line, knownType: offending.keyType };
  }
  return { status: 'unknown', knownTypes: [] };
}

/** Key types held for the target (file order, no duplicates); revoked and CA lines excluded. */
export async function knownKeyTypes(target: HostKeyTarget): Promise<string[]> {
  const types: string[] = [];
  for (const e of await matchingEntries(target)) {
    if (e.marker === 'none' && !types.includes(e.keyType)) {
      types.push(e.keyType);
    }
  }
  return types;
}

/** ssh2's host key algorithms, in its preference order, with the key type each one verifies with. */
const HOST_KEY_ALGORITHMS: ReadonlyArray<readonly [algorithm: string, keyType: string]> = [
  ['ssh-ed25519', 'ssh-ed25519'],
  ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
  ['ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'],
  ['ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'],
  ['rsa-sha2-512', 'ssh-rsa'],
  ['rsa-sha2-256', 'ssh-rsa'],
  ['ssh-rsa', 'ssh-rsa'],
  ['ssh-dss', 'ssh-dss'],
];

/**
 * `algorithms.serverHostKey` for ssh2 that only negotiates key types we hold, so a server with
 * several host keys presents the one known_hosts can vouch for (OpenSSH reorders its
 * HostKeyAlgorithms the same way). Empty input: undefined, i.e. ssh2's defaults. Types ssh2
 * cannot verify (certificates, security keys) are left out; if nothing remains, undefined too,
 * and the key the server then presents is judged "changed".
 */
export function hostKeyAlgorithmsFor(types: string[]): string[] | undefined {
  const algorithms = HOST_KEY_ALGORITHMS.filter(([, type]) => types.includes(type)).map(([alg]) => alg);
  return algorithms.length > 0 ? algorithms : undefined;
}

/**
 * Adds `name keytype base64` (or `|1|salt|hash keytype base64`) to the first user known_hosts
 * file, as ssh does after "Permanently added …". Creates the directory 0700 and the file 0600.
 *
 * This appends instead of rewriting through a temporary file on purpose: ssh itself appends
 * (hostfile.c add_host_to_hostfile), and an O_APPEND write cannot lose a line that ssh or
 * another window adds at the same moment, which a read-modify-rename could. Appending also
 * keeps the file's inode, owner, mode and any hard or symbolic link untouched, and never
 * rewrites a byte of the existing lines.
 */
export async function addKnownHost(
  target: HostKeyTarget,
  keyBlob: Buffer,
  options: { hash: boolean },
): Promise<{ file: string; line: number }> {
  const file = knownHostsFiles(target.userKnownHostsFiles)[0];
  if (!file) {
    throw new CoreError('fileUnwritable', 'No user known_hosts file is configured (UserKnownHostsFile none).', {});
  }
  const keyType = keyTypeOfBlob(keyBlob);
  const name = knownHostsName(target);
  if (!options.hash && !/^[^\s,*?!#@|][^\s,*?!]*$/.test(name)) {
    throw new CoreError('sshDestinationInvalid', `"${name}" cannot be written as a known_hosts name.`, { name });
  }
  const entry = `${options.hash ? hashKnownHostsName(name) : name} ${keyType} ${keyBlob.toString('base64')}`;

  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'wx+', 0o600);
      await handle.chmod(0o600); // the umask may have narrowed it; never widened
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') {
        throw e;
      }
      handle = await fs.open(file, 'a+');
    }
    try {
      const { size } = await handle.stat();
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          prefix = '\n';
        }
      }
      await handle.appendFile(prefix + entry + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new CoreError(
      'fileUnwritable',
      `Cannot add the host key to ${file}.`,
      { file, code: errnoCode(e) },
      { cause: e },
    );
  }
  // The line number comes from the file as it is now, so lines appended meanwhile are counted.
  const lines = (await readRegularFile(file, MAX_KNOWN_HOSTS_BYTES)).toString('utf8').split('\n');
  const index = lines.lastIndexOf(entry);
  return { file, line: index >= 0 ? index + 1 : lines.length - 1 };
}
