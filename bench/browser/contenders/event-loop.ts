/**
 * Yielding to the event loop from a long synchronous loop, without timer clamping: a message to
 * oneself is a macrotask that runs as soon as the tasks queued before it (setTimeout(0) nested
 * more than 5 deep waits at least 4 ms each time).
 */

let channel: MessageChannel | undefined;
const waiting: Array<() => void> = [];

/** Resolves after the tasks queued now (OPFS completions, timers due) have had their turn. */
export function yieldToEventLoop(): Promise<void> {
  if (channel === undefined) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  const port = channel.port2;
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}
