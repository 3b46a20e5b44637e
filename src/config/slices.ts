// Long config work on the main thread (decoding a checked config, compiling
// it) runs in slices: it gives the event loop back every SLICE_MS, so requests
// keep being served while a 2,000-service config loads. See
// docs/configuration.md, "Reloading".
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Time a step loop may hold the event loop before giving it back. */
const SLICE_MS = 5;

/**
 * A pause to await between steps: it yields to the event loop once `sliceMs`
 * have passed since the last yield, and otherwise resolves at once.
 */
export function slicePause(sliceMs = SLICE_MS): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await yieldToLoop();
    sliceStart = performance.now();
  };
}
