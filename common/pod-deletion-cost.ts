// The controller.kubernetes.io/pod-deletion-cost annotation, read as
// upstream's GetDeletionCostFromPodAnnotations reads it: the API refuses a
// pod whose value it cannot read, and a ReplicaSet scaling down removes the
// pods of lower cost first (an unreadable one counts as 0).

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const MIN_INT32 = -(2 ** 31);
const MAX_INT32 = 2 ** 31 - 1;

/** The cost (0 without the annotation), or undefined when the value is no 32-bit integer in decimal without a plus sign or leading zero. */
export function podDeletionCost(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const text = annotations?.[POD_DELETION_COST];
  if (text === undefined) return 0;
  // strconv.ParseInt's decimal form, less what upstream refuses before it: "+10", "008".
  if (!/^-?\d+$/.test(text) || (text.startsWith('0') && text !== '0')) return undefined;
  const cost = Number(text);
  return cost >= MIN_INT32 && cost <= MAX_INT32 ? cost : undefined;
}
