/**
 * Removing what a run left in the origin private file system, so that every run starts empty
 * and a million-key run does not leave hundreds of megabytes behind.
 */

/** Removes the entry at `path` (directory segments from the OPFS root) and everything under it; absent is fine. */
export async function removeOpfsEntry(path: readonly string[]): Promise<void> {
  const last = path.at(-1);
  if (last === undefined) throw new RangeError('removeOpfsEntry needs a non-empty path');
  let dir = await navigator.storage.getDirectory();
  try {
    for (const segment of path.slice(0, -1)) dir = await dir.getDirectoryHandle(segment);
    await dir.removeEntry(last, { recursive: true });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'NotFoundError') return;
    throw e;
  }
}
