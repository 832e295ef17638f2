// A lazily built value shared by every call in a container: built once, but a failed build is retried.
// Every Lambda entry builds its AWS wiring through it (handler.ts), so each function starts one way.

/**
 * Returns a getter that runs `factory` on first use and hands every later caller the same promise.
 * A rejected build is not cached: the next call runs `factory` again, so one transient fault at
 * init (KMS, Secrets Manager, the network) costs one request, not the container's whole life.
 */
export function lazyRetrying<T>(factory: () => T | Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      // Promise.resolve().then: a factory that throws synchronously still yields a rejected promise.
      const attempt = Promise.resolve().then(factory);
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}
