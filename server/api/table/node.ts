// The RuntimeClass printer, as upstream's printRuntimeClass: its handler and
// age. Upstream describes the Handler column with ObjectMeta's doc of a field
// ObjectMeta does not have, so the description is empty.
import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

export const runtimeClassPrinter: Printer = {
  columns: [nameColumn, column('Handler', 'string', ''), ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', (object as unknown as RuntimeClass).handler ?? '', age(object, now)],
};
