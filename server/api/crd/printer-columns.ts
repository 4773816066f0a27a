// Server-side printing of custom resources: Name, then the version's
// additionalPrinterColumns (an Age column when it declares none), with
// cells as upstream's CRD table convertor fills them.
import type { CustomResourceColumnDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { docs, nameColumn } from '../table/columns.js';
import { humanDuration } from '../table/duration.js';
import type { Printer } from '../table/table.js';
import { evaluate, parseJsonPath } from './json-path.js';

/** Upstream serves this when a version declares no columns. */
export const DEFAULT_COLUMNS: readonly CustomResourceColumnDefinition[] = [
  { name: 'Age', type: 'date', description: docs.creationTimestamp, jsonPath: '.metadata.creationTimestamp' },
];

export function printerOf(columns: readonly CustomResourceColumnDefinition[]): Printer {
  const paths = columns.map((c) => parseJsonPath(c.jsonPath));
  return {
    columns: [
      nameColumn,
      ...columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
      })),
    ],
    cells: (object, now) => [
      object.metadata.name ?? '',
      ...columns.map((c, i) => {
        const steps = paths[i];
        const found = steps === undefined ? [] : evaluate(steps, object);
        return found.length === 0 ? null : cell(c.type, found[0], now);
      }),
    ],
  };
}

/** cellForJSONValue, and jsonpath's text form for string columns; a value of another type leaves the cell empty. */
function cell(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '') return '<unknown>';
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? '<invalid>' : humanDuration(now.getTime() - ms);
    }
    default:
      return null;
  }
}
