// The PriorityClass printer, as 1.31's printPriorityClass: value and
// globalDefault as typed cells, then age (1.32 added a PreemptionPolicy
// column after it).
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn,
    column('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    column(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
    ),
    ageColumn,
  ],
  cells(object, now) {
    const pc = object as unknown as PriorityClass;
    return [object.metadata.name ?? '', pc.value ?? 0, pc.globalDefault === true, age(object, now)];
  },
};
