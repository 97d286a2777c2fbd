/**
 * The integration harness: real dockerd, sshd, local users and throwaway homes on 127.0.0.1.
 * Every helper registers what it creates with `cleanup.ts`, so a crashed test leaves nothing.
 * See each module for the details and the reasons behind its choices.
 */
export { startDockerd, ping, engineRequest, type Dockerd, type DockerdOptions } from './dockerd';
export { startSshd, knownHostsLine, type Sshd, type SshdOptions } from './sshd';
export { createUser, type TestUser, type CreateUserOptions } from './users';
export {
  tempHome,
  sshArgs,
  appendSshConfig,
  sshHostBlock,
  addKnownHost,
  generateKey,
  SHIMMED_TOOLS,
  type TempHome,
  type KeyPair,
} from './tempHome';
export { importBusybox, BUSYBOX_IMAGE, DOCKER_CLI } from './busybox';
export { makeTlsFiles, type TlsFiles } from './tlsFiles';
export { freePort, blackholePort, closedPort, canConnect, type Blackhole } from './ports';
export { requireRoot } from './requireRoot';
export { cleanupAllSync } from './cleanup';
export { harnessProcesses } from './leaks';
