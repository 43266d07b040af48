/**
 * Runs asynchronous sections one at a time, in the order they asked. Sections of one connection
 * that span several awaits (BEGIN … COMMIT) would otherwise interleave with each other.
 */
export class FifoLock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    // The next section waits for this one to settle, whether it succeeded or not.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
