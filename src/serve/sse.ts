/**
 * Server-sent events on a fastify reply: `data: {json}` messages, `data: [DONE]` at the end, and
 * notice when the client goes away (the caller cancels its decode then).
 */
import type { FastifyReply } from 'fastify';

export class SseStream {
  private readonly reply: FastifyReply;
  private ended = false;

  constructor(reply: FastifyReply) {
    this.reply = reply;
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  }

  /** True once the connection is closed (by either side). */
  get closed(): boolean {
    return this.ended || this.reply.raw.destroyed;
  }

  /** Calls fn when the client disconnects before the stream ended. */
  onAbort(fn: () => void): void {
    this.reply.raw.on('close', () => {
      if (!this.ended) fn();
    });
  }

  send(data: unknown): void {
    if (!this.closed) this.reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Writes `data: [DONE]` and ends the response. */
  end(): void {
    if (this.closed) return;
    this.reply.raw.write('data: [DONE]\n\n');
    this.ended = true;
    this.reply.raw.end();
  }
}

/** Calls fn when the client of a (non-streamed) reply disconnects before the answer is sent. */
export function onDisconnect(reply: FastifyReply, fn: () => void): void {
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) fn();
  });
}
