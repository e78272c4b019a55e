/** Order keys are usually epoch milliseconds (a job's creation time): show those as times. */
export function orderKeyText(key: number): string {
  return key >= Date.UTC(2000, 0, 1) && key < Date.UTC(2200, 0, 1) ? new Date(key).toISOString() : String(key);
}
