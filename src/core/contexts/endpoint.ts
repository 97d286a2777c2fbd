import { CoreError } from '../common/errors';

export type EndpointScheme = 'ssh' | 'unix' | 'tcp' | 'npipe';

export interface DockerEndpoint {
  /** The endpoint exactly as given; this is what goes into meta.json. */
  raw: string;
  scheme: EndpointScheme;
  /** ssh only: the login name (percent-decoded), when the URL has one. */
  user?: string;
  /** ssh and tcp: host name or address, IPv6 without brackets. */
  host?: string;
  /** ssh and tcp, when the URL gives one. */
  port?: number;
  /** ssh: the remote socket path, if any; unix/npipe: the socket/pipe path; tcp: a URL path, if any. */
  path?: string;
}

/**
 * Stable codes of the rule an endpoint broke, for the UI and tests:
 * - password, query, fragment, emptyHost: the docker CLI's ssh URL rules;
 * - emptyPath: `unix://` / `npipe://` without a path (the CLI cannot parse it either);
 * - scheme: not one of ssh, unix, tcp, npipe;
 * - port: not digits, or outside 1-65535 (the CLI 28.2 stores 0 or 99999, ssh then refuses);
 * - leadingDash: a user or host that ssh would read as an option (`ssh://-oProxyCommand=…`);
 * - syntax: anything else the URL parser rejects (control characters, bad escapes, bad host).
 */
export type EndpointRule =
  'password' | 'query' | 'fragment' | 'emptyHost' | 'emptyPath' | 'scheme' | 'port' | 'leadingDash' | 'syntax';

/**
 * Validates an endpoint the way `docker context create --docker host=…` does (Go's url.Parse
 * followed by the ssh connection helper's rules), plus two rules the CLI 28.2 lacks but which
 * protect the user: port range, and no user/host that ssh would take for an option.
 */
export function parseEndpoint(raw: string): DockerEndpoint {
  const fail = (rule: EndpointRule, message: string): never => {
    throw new CoreError('endpointInvalid', message, { endpoint: raw, rule });
  };
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  if (!schemeMatch) {
    return fail('scheme', `Invalid endpoint "${raw}": it must start with ssh://, unix://, tcp:// or npipe://.`);
  }
  const scheme = schemeMatch[1].toLowerCase();
  if (scheme !== 'ssh' && scheme !== 'unix' && scheme !== 'tcp' && scheme !== 'npipe') {
    return fail(
      'scheme',
      `Invalid endpoint "${raw}": unsupported scheme "${scheme}" (use ssh://, unix://, tcp:// or npipe://).`,
    );
  }
  if (scheme === 'unix' || scheme === 'npipe') {
    if (hasControlCharacter(raw)) {
      return fail('syntax', `Invalid endpoint "${raw}": control characters are not allowed.`);
    }
    const rest = raw.slice(schemeMatch[0].length);
    if (!rest.startsWith('//')) {
      return fail('syntax', `Invalid endpoint "${raw}": expected ${scheme}://PATH.`);
    }
    const path = rest.slice(2);
    if (path === '') {
      return fail(
        'emptyPath',
        `Invalid endpoint "${raw}": unable to parse docker host \`${raw}\` (the path is empty).`,
      );
    }
    return { raw, scheme, path };
  }

  let url: GoUrl;
  try {
    url = parseGoUrl(raw);
  } catch (e) {
    if (e instanceof UrlError) {
      return fail(e.rule, `Invalid endpoint "${raw}": ${e.message}.`);
    }
    throw e;
  }
  const port = url.port === '' ? undefined : Number(url.port);
  if (scheme === 'ssh') {
    // The order of the ssh connection helper (cli/connhelper/ssh newSpec).
    if (url.password !== undefined) {
      return fail('password', `Invalid SSH URL "${raw}": plain-text password is not supported.`);
    }
    if (url.hostname === '') {
      return fail('emptyHost', `Invalid SSH URL "${raw}": hostname is empty.`);
    }
    if (url.rawQuery !== '') {
      return fail('query', `Invalid SSH URL "${raw}": query parameters are not allowed: "${url.rawQuery}".`);
    }
    if (url.fragment !== '') {
      return fail('fragment', `Invalid SSH URL "${raw}": fragments are not allowed: "${url.fragment}".`);
    }
    if (url.hostname.startsWith('-') || url.user?.startsWith('-')) {
      return fail(
        'leadingDash',
        `Invalid SSH URL "${raw}": a user or host name starting with "-" would be read by ssh as an option.`,
      );
    }
  } else if (url.hostname === '') {
    return fail('emptyHost', `Invalid endpoint "${raw}": unable to parse docker host \`${raw}\` (the host is empty).`);
  }
  if (port !== undefined && (port < 1 || port > 65535)) {
    return fail('port', `Invalid endpoint "${raw}": port ${url.port} is outside 1-65535.`);
  }
  const endpoint: DockerEndpoint = { raw, scheme, host: url.hostname };
  if (url.user !== undefined && url.user !== '') {
    endpoint.user = url.user;
  }
  if (port !== undefined) {
    endpoint.port = port;
  }
  if (url.path !== '') {
    endpoint.path = url.path;
  }
  return endpoint;
}

/**
 * The default context's endpoint as the CLI shows it: DOCKER_HOST if set and non-empty,
 * normalised like `opts.ParseHost` (`tcp://h` gets port 2375, a bare `h` becomes tcp, …), else
 * the platform socket. A DOCKER_HOST the CLI cannot parse is returned trimmed, as given.
 */
export function defaultDockerHost(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const resolved = resolveDefaultDockerHost(env, platform);
  return resolved.host;
}

/** Like defaultDockerHost, and tells why the CLI would refuse DOCKER_HOST. */
export function resolveDefaultDockerHost(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): { host: string; error?: CoreError } {
  const value = env.DOCKER_HOST ?? '';
  // DOCKER_TLS_VERIFY / DOCKER_TLS switch the default (not a given DOCKER_HOST) to the TLS port.
  const defaultToTls = !!env.DOCKER_TLS_VERIFY || !!env.DOCKER_TLS;
  try {
    return { host: parseDockerHost(value, platform, defaultToTls) };
  } catch (e) {
    if (e instanceof UrlError) {
      return {
        host: value.trim(),
        error: new CoreError('endpointInvalid', `DOCKER_HOST "${value}" is invalid: ${e.message}.`, {
          endpoint: value,
          rule: e.rule,
        }),
      };
    }
    throw e;
  }
}

const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_NAMED_PIPE = '//./pipe/docker_engine';
const DEFAULT_TCP_HOST = 'tcp://localhost:2375';
const DEFAULT_TLS_HOST = 'tcp://localhost:2376';

/** `opts.ParseHost` of the docker CLI 28.2. */
function parseDockerHost(value: string, platform: NodeJS.Platform, defaultToTls: boolean): string {
  const host = value.trim();
  if (host === '') {
    if (defaultToTls) {
      return DEFAULT_TLS_HOST;
    }
    return platform === 'win32' ? `npipe://${DEFAULT_NAMED_PIPE}` : `unix://${DEFAULT_UNIX_SOCKET}`;
  }
  const sep = host.indexOf('://');
  let proto: string;
  let addr: string;
  if (sep < 0) {
    proto = 'tcp';
    addr = host;
  } else {
    proto = host.slice(0, sep);
    addr = host.slice(sep + 3);
  }
  switch (proto) {
    case 'tcp':
      return parseTcpAddr(addr);
    case 'unix':
      return parseSimpleProtoAddr('unix', addr, DEFAULT_UNIX_SOCKET);
    case 'npipe':
      return parseSimpleProtoAddr('npipe', addr, DEFAULT_NAMED_PIPE);
    case 'fd':
    case 'ssh':
      return host;
    default:
      throw new UrlError('scheme', `invalid bind address format: ${host}`);
  }
}

function parseSimpleProtoAddr(proto: string, addr: string, fallback: string): string {
  const a = addr.startsWith(`${proto}://`) ? addr.slice(proto.length + 3) : addr;
  if (a.includes('://')) {
    throw new UrlError('syntax', `invalid proto, expected ${proto}: ${a}`);
  }
  return `${proto}://${a === '' ? fallback : a}`;
}

/** `opts.ParseTCPAddr(tryAddr, "tcp://localhost:2375")`. */
function parseTcpAddr(tryAddr: string): string {
  if (tryAddr === '' || tryAddr === 'tcp://') {
    return DEFAULT_TCP_HOST;
  }
  let addr = tryAddr.startsWith('tcp://') ? tryAddr.slice(6) : tryAddr;
  if (addr.includes('://') || addr === '') {
    throw new UrlError('syntax', `invalid proto, expected tcp: ${tryAddr}`);
  }
  if (addr.endsWith(']:')) {
    addr += '2375';
  }
  const u = parseGoUrl('tcp://' + addr);
  let hp = splitHostPort(u.host);
  if (!hp) {
    hp = splitHostPort(joinHostPort(u.host, '2375'));
  }
  if (!hp) {
    throw new UrlError('syntax', `invalid bind address format: ${tryAddr}`);
  }
  const host = hp.host === '' ? 'localhost' : hp.host;
  // url.Parse already allowed only digits in the port, so Go's Atoi check cannot fail here.
  const port = hp.port === '' ? '2375' : hp.port;
  return `tcp://${joinHostPort(host, port)}${u.path}`;
}

/** Go's net.SplitHostPort; undefined where Go returns an error. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) {
    return undefined;
  }
  let host: string;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== i) {
      return undefined;
    }
    host = hostport.slice(1, end);
    if (hostport.indexOf('[', 1) >= 0 || hostport.indexOf(']', end + 1) >= 0) {
      return undefined;
    }
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':') || host.includes('[') || host.includes(']')) {
      return undefined;
    }
  }
  return { host, port: hostport.slice(i + 1) };
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

class UrlError extends Error {
  constructor(
    readonly rule: EndpointRule,
    message: string,
  ) {
    super(message);
  }
}

interface GoUrl {
  scheme: string;
  user?: string;
  password?: string;
  /** host[:port] as written (brackets kept). */
  host: string;
  /** Host without port and brackets (Go's URL.Hostname()). */
  hostname: string;
  port: string;
  path: string;
  rawQuery: string;
  fragment: string;
}

/**
 * The parts of Go's `net/url.Parse` the CLI's checks depend on: scheme, userinfo (split at the
 * last '@'), host with an optional numeric port, path, raw query, fragment, with Go's errors.
 */
function parseGoUrl(raw: string): GoUrl {
  if (hasControlCharacter(raw)) {
    throw new UrlError('syntax', 'invalid control character in URL');
  }
  const hashAt = raw.indexOf('#');
  const beforeFragment = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  const fragment = hashAt >= 0 ? unescape(raw.slice(hashAt + 1), 'fragment') : '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(beforeFragment);
  if (!m) {
    throw new UrlError('scheme', 'missing protocol scheme');
  }
  const scheme = m[1].toLowerCase();
  let rest = beforeFragment.slice(m[0].length);
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const url: GoUrl = { scheme, host: '', hostname: '', port: '', path: '', rawQuery, fragment };
  if (!rest.startsWith('/')) {
    return url; // opaque ("ssh:host"): Go leaves the host empty
  }
  if (!rest.startsWith('//')) {
    url.path = unescape(rest, 'path');
    return url;
  }
  let authority = rest.slice(2);
  const slash = authority.indexOf('/');
  if (slash >= 0) {
    url.path = unescape(authority.slice(slash), 'path');
    authority = authority.slice(0, slash);
  }
  const at = authority.lastIndexOf('@');
  let hostPart = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    hostPart = authority.slice(at + 1);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) {
      throw new UrlError('syntax', 'invalid userinfo');
    }
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      url.user = unescape(userinfo.slice(0, colon), 'userinfo');
      url.password = unescape(userinfo.slice(colon + 1), 'userinfo');
    } else {
      url.user = unescape(userinfo, 'userinfo');
    }
  }
  url.host = hostPart;
  let name = hostPart;
  if (hostPart.startsWith('[')) {
    const close = hostPart.lastIndexOf(']');
    if (close < 0) {
      throw new UrlError('syntax', "missing ']' in host");
    }
    const colonPort = hostPart.slice(close + 1);
    if (!/^(:[0-9]*)?$/.test(colonPort)) {
      throw new UrlError('port', `invalid port ${JSON.stringify(colonPort)} after host`);
    }
    url.port = colonPort.slice(1);
    name = hostPart.slice(1, close);
  } else {
    const colon = hostPart.lastIndexOf(':');
    if (colon >= 0) {
      const colonPort = hostPart.slice(colon);
      if (!/^:[0-9]*$/.test(colonPort)) {
        throw new UrlError('port', `invalid port ${JSON.stringify(colonPort)} after host`);
      }
      url.port = colonPort.slice(1);
      name = hostPart.slice(0, colon);
    }
  }
  const bad = /[^A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"\u0080-\uffff]/.exec(name);
  if (bad) {
    throw new UrlError('syntax', `invalid character ${JSON.stringify(bad[0])} in host name`);
  }
  url.hostname = name;
  return url;
}

function unescape(s: string, what: string): string {
  if (!s.includes('%')) {
    return s;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) {
    const bad = /%.{0,2}/.exec(s.slice(s.search(/%(?![0-9A-Fa-f]{2})/)))?.[0] ?? '%';
    throw new UrlError('syntax', `invalid URL escape ${JSON.stringify(bad)} in the ${what}`);
  }
  try {
    return decodeURIComponent(s);
  } catch {
    // Go accepts escapes that are not UTF-8; decode byte-wise like it does.
    return Buffer.from(
      s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
}

/** A C0 control character or DEL, which Go's URL parser and the CLI refuse. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      return true;
    }
  }
  return false;
}
