/** Memoizes an async factory for module-scoped deps; a failure is kept, so a broken container keeps saying why. */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= build());
}
