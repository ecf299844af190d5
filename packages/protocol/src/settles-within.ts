/**
 * Bounding a wait on something remote: `close()` waits for its jobs to end, but a
 * controller that stopped answering must not hang the run for ever.
 */

/** True when `promise` resolved within `ms`, false when the time ran out first (it is not cancelled); its rejection passes through. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return inTime;
}
