/**
 * The checkpoint benchmark's worker (the LSM backend on OPFS needs sync access handles, so a
 * dedicated worker). Receives a {@link CheckpointRunSpec}, posts a {@link CheckpointWorkerMessage}.
 */
import type { CheckpointRunResult, CheckpointRunSpec } from './checkpoint-protocol.js';
import { runCheckpointBench } from './checkpoint-run.js';

/** Messages from the checkpoint worker to the page. */
export type CheckpointWorkerMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'result'; readonly result: CheckpointRunResult }
  | { readonly type: 'failed'; readonly error: string };

function post(message: CheckpointWorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<CheckpointRunSpec>): Promise<void> => {
  try {
    post({ type: 'result', result: await runCheckpointBench(event.data, (text) => post({ type: 'progress', text })) });
  } catch (e) {
    post({ type: 'failed', error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) });
  }
};
