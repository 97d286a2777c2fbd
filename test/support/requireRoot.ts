/**
 * The integration harness creates users and starts dockerd/sshd, which needs root. Without it
 * the tests fail with this message instead of being skipped silently.
 */
export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `${what}: root is required (the harness creates users and starts dockerd/sshd). Run the integration and e2e tests as root, ` +
        'e.g. on a throwaway Debian 12 machine or container after scripts/setup.sh.',
    );
  }
}
