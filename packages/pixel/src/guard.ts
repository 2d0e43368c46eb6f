// Nothing the snippet does may throw into the host page: every public function goes through here.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

/** A synchronous throw becomes undefined; a rejected promise resolves to undefined. */
export const guard =
  <F extends Fn>(f: F) =>
  (...args: Parameters<F>): ReturnType<F> | undefined => {
    try {
      const r = f(...args);
      return r instanceof Promise ? (r.catch(() => undefined) as ReturnType<F>) : r;
    } catch {
      return undefined;
    }
  };

/** Guards every function of an API object in place (one loop is smaller than a wrapper per export). */
export const guardAll = <T extends Record<string, Fn>>(api: T): T => {
  for (const k in api) api[k] = guard(api[k]!) as T[typeof k];
  return api;
};
