// What form a response takes, from the Accept header: plain JSON, or a
// meta.k8s.io Table (kubectl get asks for one, falling back to JSON).

export type ResponseForm = { kind: 'json' } | { kind: 'table'; version: 'v1' | 'v1beta1' };

export function responseForm(accept: string | undefined): ResponseForm | undefined {
  if (accept === undefined || accept.trim() === '') return { kind: 'json' };
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p.get('as') === 'Table' && p.get('g') === 'meta.k8s.io' && (type === 'application/json' || type === '*/*')) {
      const v = p.get('v');
      if (v === 'v1' || v === 'v1beta1') return { kind: 'table', version: v };
      continue;
    }
    if (p.has('as')) continue;
    if (type === 'application/json' || type === 'application/*' || type === '*/*' || type === 'application/yaml') return { kind: 'json' };
  }
  return undefined;
}
