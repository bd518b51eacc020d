import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { SERIAL_LIMITS } from "./keys.mjs";

export declare const SERIAL_CLOSE: Readonly<{
  ticket: 4401;
  forbidden: 4403;
  gone: 4404;
  replaced: 4409;
  vmClosed: 4410;
  busy: 4429;
  hostSilent: 4504;
  limit: 4408;
}>;

export interface RelayRedis {
  getdel(key: string): Promise<string | null>;
  rpush(key: string, value: string): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  publish(channel: string, message: Buffer): Promise<number>;
  set(key: string, value: string, ex: "EX", seconds: number, get: "GET"): Promise<string | null>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  zrem(key: string, member: string): Promise<number>;
}

/** A Redis connection of its own for subscriptions (ioredis: `redis.duplicate()`). */
export interface RelaySubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: "messageBuffer", fn: (channel: Buffer, message: Buffer) => void): unknown;
}

export interface SerialRelay {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  readonly size: number;
  close(): void;
}

export declare function createSerialRelay(o: {
  redis: RelayRedis;
  /** with it, the browser's and the agent's sockets may land on different console replicas */
  subscriber?: RelaySubscriber | undefined;
  publicUrl?: string | undefined;
  limits?: Partial<typeof SERIAL_LIMITS>;
  log?: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
}): SerialRelay;
