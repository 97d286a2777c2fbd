/**
 * Which Docker contexts go through which SSH host alias. The docker CLI hands the host part of
 * an `ssh://` endpoint to `ssh` as the destination, and ssh matches `Host` patterns against it
 * case-insensitively (it lower-cases the command-line host first), so `ssh://me@Build:2222/x`
 * goes through the `Host build` block.
 */
import { parseEndpoint } from '../contexts/endpoint';

export interface ContextEndpoint {
  name: string;
  endpoint: string;
}

/** The endpoint a new context for this alias gets: `ssh://ALIAS` (user and port come from the config). */
export function sshEndpointForAlias(alias: string): string {
  return `ssh://${alias}`;
}

/** The alias an `ssh://` endpoint goes through (its host part), or undefined for other endpoints and invalid URLs. */
export function sshHostOfEndpoint(endpoint: string): string | undefined {
  if (!/^ssh:\/\//i.test(endpoint)) {
    return undefined;
  }
  try {
    return parseEndpoint(endpoint).host;
  } catch {
    return undefined;
  }
}

/** Names of the contexts whose endpoint is `ssh://[user@]ALIAS[:port][/path]`, in the given order. */
export function contextsUsingAlias(contexts: readonly ContextEndpoint[], alias: string): string[] {
  const want = alias.toLowerCase();
  return contexts.filter((c) => sshHostOfEndpoint(c.endpoint)?.toLowerCase() === want).map((c) => c.name);
}

/** Every alias (lower-cased) to the contexts using it, for views that mark many hosts at once. */
export function contextsByAlias(contexts: readonly ContextEndpoint[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of contexts) {
    const host = sshHostOfEndpoint(c.endpoint)?.toLowerCase();
    if (host !== undefined) {
      const list = out.get(host) ?? [];
      list.push(c.name);
      out.set(host, list);
    }
  }
  return out;
}

/**
 * The remote Docker socket a test of this host should check: the path named by the contexts
 * that reach the daemon through exactly this alias (`ssh://ALIAS/path`, with no user or port of
 * their own, so they log in as the host's config says), when they all name the same one. With no
 * such context, or contexts that disagree, undefined: the remote default socket.
 */
export function dockerSocketForAlias(contexts: readonly ContextEndpoint[], alias: string): string | undefined {
  const want = alias.toLowerCase();
  const paths = new Set<string>();
  for (const c of contexts) {
    if (sshHostOfEndpoint(c.endpoint)?.toLowerCase() !== want) {
      continue;
    }
    const e = parseEndpoint(c.endpoint);
    if (e.user === undefined && e.port === undefined) {
      paths.add(e.path && e.path !== '/' ? e.path : '');
    }
  }
  const [only] = paths;
  return paths.size === 1 && only !== '' ? only : undefined;
}
