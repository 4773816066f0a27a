// The PodDisruptionBudget printer, as upstream's printPodDisruptionBudget:
// minAvailable and maxUnavailable as written (an integer or a percentage),
// N/A when unset, and the disruptions the budget allows now.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn,
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as PodDisruptionBudget;
    return [
      object.metadata.name ?? '',
      spec?.minAvailable === undefined ? 'N/A' : String(spec.minAvailable),
      spec?.maxUnavailable === undefined ? 'N/A' : String(spec.maxUnavailable),
      status?.disruptionsAllowed ?? 0,
      age(object, now),
    ];
  },
};
