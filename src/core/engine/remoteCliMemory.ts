/**
 * Which daemon an ssh:// endpoint without a socket path reaches: the one the remote docker CLI
 * would dial (its DOCKER_HOST, its current context…), asked once per endpoint for the life of
 * the engine pool, so a reconnect costs no extra remote command. The answer is forgotten when
 * the socket it named cannot be reached (the remote user may have switched daemons), and asked
 * again on the next channel.
 */
import type { Client, ClientChannel } from 'ssh2';
import type { Logger } from '../common/log';
import {
  askRemoteCli,
  openStreamLocal,
  type ChannelDeadline,
  type RemoteCliChoice,
  type RemoteSocket,
} from './remoteSocket';

/** A remembered choice; `default` = the CLI gave no usable answer (none installed): the default socket. */
export type KnownCliChoice = RemoteCliChoice | { kind: 'default' };

/** One endpoint's remembered choice (kept by the pool's endpoint entry, across its connections). */
export class RemoteCliMemory {
  private value: KnownCliChoice | undefined;
  /** How many times the remote CLI was asked (for tests and the log). */
  asked = 0;

  get(): KnownCliChoice | undefined {
    return this.value;
  }

  remember(c: KnownCliChoice): void {
    this.value = c;
  }

  forget(): void {
    this.value = undefined;
  }
}

/** Where the first channel of a connection went: a stream-local channel to `socket`, or dial-stdio. */
export type FirstChannel = { ch: ClientChannel; socket: RemoteSocket } | 'dial-stdio';

/**
 * The first stream-local channel. With a path in the URL, that path. Otherwise the remembered
 * choice, or (first time) the remote CLI asked in parallel with opening the default socket, so
 * a cold status waits for the slower of the two, not both: its unix socket is used instead of
 * the default when they differ, and anything else (tcp://, ssh://) means dial-stdio, which the
 * CLI itself routes. Without a CLI on the remote, the default socket stands.
 */
export async function firstStreamLocal(
  client: Client,
  base: RemoteSocket,
  memory: RemoteCliMemory | undefined,
  d: ChannelDeadline,
  log: { logger: Logger; where: string },
): Promise<FirstChannel> {
  if (base.explicit) {
    return { ch: await openStreamLocal(client, base, d), socket: base };
  }
  let choice = memory?.get();
  let first: { ch: ClientChannel } | { error: unknown } | undefined;
  if (choice === undefined) {
    let asked: RemoteCliChoice | null | undefined;
    [asked, first] = await Promise.all([
      askRemoteCli(client, d).catch(() => undefined),
      openStreamLocal(client, base, d).then(
        (ch) => ({ ch }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (memory) {
      memory.asked++;
    }
    choice = asked ?? { kind: 'default' };
    if (asked !== undefined) {
      memory?.remember(choice);
    }
  }
  if (choice.kind === 'default' || (choice.kind === 'unix' && choice.path === base.path)) {
    if (first === undefined) {
      return { ch: await openStreamLocal(client, base, d), socket: base };
    }
    if ('ch' in first) {
      return { ch: first.ch, socket: base };
    }
    throw first.error;
  }
  if (first && 'ch' in first) {
    first.ch.close();
  }
  log.logger.debug(
    `engine ${log.where}: the remote docker CLI uses ${choice.kind === 'unix' ? `unix://${choice.path}` : choice.host}`,
  );
  if (choice.kind === 'other') {
    return 'dial-stdio';
  }
  const chosen = { path: choice.path, explicit: true };
  return { ch: await openStreamLocal(client, chosen, d), socket: chosen };
}
