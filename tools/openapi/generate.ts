// Generates server/api/openapi/schemas.json.gz: OpenAPI v3 component schemas
// of every built-in kind, read from the kubernetes-types declarations (which
// carry upstream's field docs as JSDoc) with the TypeScript compiler API,
// plus the patch metadata of patch-metadata.ts. Run from the repo root:
//   npm run openapi:generate
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import type { Schema, SchemaData } from '../../server/api/openapi/schema.js';
import { PATCH_METADATA, type PatchMetadata } from './patch-metadata.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TYPES_DIR = dirname(createRequire(join(REPO, 'package.json')).resolve('kubernetes-types/package.json'));
const OUT = join(REPO, 'server', 'api', 'openapi', 'schemas.json.gz');

/** Upstream's Go package of each declaration file (relative to kubernetes-types, without .d.ts). */
function packageOf(file: string): string {
  const special: Readonly<Record<string, string>> = {
    'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
    runtime: 'io.k8s.apimachinery.pkg.runtime',
    'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
    version: 'io.k8s.apimachinery.pkg.version',
    'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  };
  return special[file] ?? `io.k8s.api.${file.replace('/', '.')}`;
}

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Go types that decode any JSON (custom unmarshallers): strict decoding never looks inside. */
const OPAQUE: ReadonlySet<string> = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
]);

/** The only float64 fields upstream has; TypeScript's `number` is an integer everywhere else. */
const FLOATS: ReadonlySet<string> = new Set([
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.maximum',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.minimum',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.multipleOf',
]);

/**
 * The fields of admissionregistration's Rule, which RuleWithOperations and
 * NamedRuleWithOperations inline: kubernetes-types drops them (their docs
 * hold a JSDoc-closing "*\/"), so without them strict field validation
 * would refuse every webhook's rules.
 */
const RULE_FIELDS: Readonly<Record<string, Schema>> = {
  resources: {
    description:
      "Resources is a list of resources this rule applies to.\n\nFor example: 'pods' means pods. 'pods/log' means the log subresource of pods. '*' means all resources, but not subresources. 'pods/*' means all subresources of pods. '*/scale' means all scale subresources. '*/*' means all resources and their subresources.\n\nIf wildcard is present, the validation rule will ensure resources do not overlap with each other.\n\nDepending on the enclosing object, subresources might not be allowed. Required.",
    type: 'array',
    items: { type: 'string' },
  },
  scope: {
    description:
      'scope specifies the scope of this rule. Valid values are "Cluster", "Namespaced", and "*" "Cluster" means that only cluster-scoped resources will match this rule. Namespace API objects are cluster-scoped. "Namespaced" means that only namespaced resources will match this rule. "*" means that there are no scope restrictions. Subresources match the scope of their parent resource. Default is "*".',
    type: 'string',
  },
};

/**
 * Fields upstream has that the kubernetes-types declarations leave out (its
 * generator drops every property named x-…, and admissionregistration's
 * Rule fields): the Kubernetes extensions of a CRD's schema, as
 * apiextensions-apiserver's types_jsonschema.go declares them.
 */
const MISSING_FIELDS: Readonly<Record<string, Readonly<Record<string, Schema>>>> = {
  'io.k8s.api.admissionregistration.v1.RuleWithOperations': RULE_FIELDS,
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations': RULE_FIELDS,
  'io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations': RULE_FIELDS,
  'io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations': RULE_FIELDS,
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': {
    'x-kubernetes-embedded-resource': { type: 'boolean' },
    'x-kubernetes-int-or-string': { type: 'boolean' },
    'x-kubernetes-list-map-keys': { type: 'array', items: { type: 'string' } },
    'x-kubernetes-list-type': { type: 'string' },
    'x-kubernetes-map-type': { type: 'string' },
    'x-kubernetes-preserve-unknown-fields': { type: 'boolean' },
    'x-kubernetes-validations': { type: 'array', items: ref('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule') },
  },
};

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarationFiles(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

class Generator {
  readonly schemas = new Map<string, Schema>();
  readonly #checker: ts.TypeChecker;

  constructor(readonly program: ts.Program) {
    this.#checker = program.getTypeChecker();
  }

  run(files: readonly string[]): void {
    for (const file of files) {
      const source = this.program.getSourceFile(file);
      if (source === undefined) throw new Error(`not loaded: ${file}`);
      const pkg = packageOf(relative(TYPES_DIR, file).replace(/\.d\.ts$/, ''));
      for (const statement of source.statements) {
        if (ts.isInterfaceDeclaration(statement)) this.add(`${pkg}.${statement.name.text}`, this.objectSchema(pkg, statement));
        else if (ts.isTypeAliasDeclaration(statement)) this.add(`${pkg}.${statement.name.text}`, this.aliasSchema(pkg, statement));
      }
    }
    this.add(INT_OR_STRING, {
      description: 'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.',
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
  }

  add(name: string, schema: Schema): void {
    if (this.schemas.has(name)) throw new Error(`two declarations of ${name}`);
    this.schemas.set(name, schema);
  }

  objectSchema(pkg: string, decl: ts.InterfaceDeclaration): Schema {
    const name = `${pkg}.${decl.name.text}`;
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    const patches = PATCH_METADATA[name] ?? {};
    let apiVersion: string | undefined;
    let kind: string | undefined;
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || member.type === undefined) throw new Error(`${name}: unexpected member ${member.getText()}`);
      const field = propertyName(member.name);
      const literal = stringLiteral(member.type);
      if (field === 'apiVersion') apiVersion = literal;
      if (field === 'kind') kind = literal;
      const type = this.typeSchema(member.type, `${name}.${field}`);
      properties[field] = {
        ...withDescription(type, this.docs(member.name)),
        ...patchExtensions(patches[field]),
      };
      if (member.questionToken === undefined) required.push(field);
    }
    for (const [field, type] of Object.entries(MISSING_FIELDS[name] ?? {})) {
      if (field in properties) throw new Error(`kubernetes-types now declares ${name}.${field}: drop it from MISSING_FIELDS`);
      properties[field] = { ...type, ...patchExtensions(patches[field]) };
    }
    for (const field of Object.keys(patches)) {
      if (!(field in properties)) throw new Error(`patch-metadata.ts names ${name}.${field}, which does not exist`);
    }
    const gvk = apiVersion !== undefined && kind !== undefined ? [{ ...splitApiVersion(apiVersion), kind }] : undefined;
    return {
      ...describe(this.docs(decl.name)),
      type: 'object',
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
      ...(required.length > 0 ? { required } : {}),
      ...(OPAQUE.has(name) ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
      ...(gvk !== undefined ? { 'x-kubernetes-group-version-kind': gvk } : {}),
    };
  }

  aliasSchema(pkg: string, decl: ts.TypeAliasDeclaration): Schema {
    const name = `${pkg}.${decl.name.text}`;
    const description = describe(this.docs(decl.name));
    switch (name) {
      case 'io.k8s.apimachinery.pkg.apis.meta.v1.Time':
      case 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime':
        return { ...description, type: 'string', format: 'date-time' };
      case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
        // As upstream's v3 documents: manifests may write `cpu: 1`.
        return { ...description, oneOf: [{ type: 'string' }, { type: 'number' }] };
    }
    // JSONSchemaPropsOrArray, …OrBool, …OrStringArray: unions that upstream leaves untyped.
    if (ts.isUnionTypeNode(decl.type) && pkg.startsWith('io.k8s.apiextensions-apiserver.')) {
      return { ...description, 'x-kubernetes-preserve-unknown-fields': true };
    }
    throw new Error(`${name}: no rule for type alias ${decl.type.getText()}`);
  }

  typeSchema(node: ts.TypeNode, where: string): Schema {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        return FLOATS.has(where) ? { type: 'number', format: 'double' } : { type: 'integer' };
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.typeSchema(node.elementType, where) };
    if (ts.isUnionTypeNode(node)) {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.length === 2 && kinds[0] === ts.SyntaxKind.NumberKeyword && kinds[1] === ts.SyntaxKind.StringKeyword) return ref(INT_OR_STRING);
    }
    if (ts.isTypeLiteralNode(node) && node.members.length === 1) {
      const index = node.members[0];
      if (index !== undefined && ts.isIndexSignatureDeclaration(index) && index.type !== undefined) {
        return { type: 'object', additionalProperties: this.typeSchema(index.type, where) };
      }
    }
    if (ts.isTypeReferenceNode(node)) {
      const [arg] = node.typeArguments ?? [];
      if (ts.isIdentifier(node.typeName) && node.typeName.text === 'Array' && arg !== undefined) {
        return { type: 'array', items: this.typeSchema(arg, where) };
      }
      return ref(this.referencedName(node.typeName));
    }
    throw new Error(`${where}: no rule for type ${node.getText()}`);
  }

  /** The upstream name of a referenced declaration, wherever it was imported from. */
  referencedName(name: ts.EntityName): string {
    let symbol = this.#checker.getSymbolAtLocation(name);
    if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = this.#checker.getAliasedSymbol(symbol);
    const decl = symbol?.declarations?.[0];
    if (symbol === undefined || decl === undefined) throw new Error(`unresolved type ${name.getText()}`);
    const file = relative(TYPES_DIR, decl.getSourceFile().fileName).replace(/\.d\.ts$/, '');
    return `${packageOf(file)}.${symbol.name}`;
  }

  docs(name: ts.PropertyName | ts.Identifier): string {
    const symbol = this.#checker.getSymbolAtLocation(name);
    return symbol === undefined ? '' : ts.displayPartsToString(symbol.getDocumentationComment(this.#checker)).trim();
  }
}

function propertyName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  throw new Error(`unexpected property name ${name.getText()}`);
}

function stringLiteral(node: ts.TypeNode): string | undefined {
  return ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal) ? node.literal.text : undefined;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

function describe(description: string): Pick<Schema, 'description'> {
  return description === '' ? {} : { description };
}

/** A property's schema: a reference goes inside allOf so that it can carry its own description, as upstream v3 does. */
function withDescription(type: Schema, description: string): Schema {
  return type.$ref !== undefined ? { allOf: [type], ...describe(description) } : { ...describe(description), ...type };
}

function patchExtensions(meta: PatchMetadata | undefined): Schema {
  if (meta === undefined) return {};
  return {
    ...(meta.listMapKeys !== undefined ? { 'x-kubernetes-list-map-keys': meta.listMapKeys } : {}),
    ...(meta.listType !== undefined ? { 'x-kubernetes-list-type': meta.listType } : {}),
    ...(meta.mergeKey !== undefined ? { 'x-kubernetes-patch-merge-key': meta.mergeKey } : {}),
    ...(meta.strategy !== undefined ? { 'x-kubernetes-patch-strategy': meta.strategy } : {}),
  };
}

function main(): void {
  const files = declarationFiles(TYPES_DIR).sort();
  const program = ts.createProgram(files, { noEmit: true, types: [], skipLibCheck: true });
  const generator = new Generator(program);
  generator.run(files);

  const schemas = Object.fromEntries([...generator.schemas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const kinds = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
      const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
      const other = kinds.get(key);
      if (other !== undefined) throw new Error(`${name} and ${other} both claim ${key}`);
      kinds.set(key, name);
    }
  }
  const version = (JSON.parse(readFileSync(join(TYPES_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  const data: SchemaData = { source: `kubernetes-types@${version}`, schemas };
  const json = JSON.stringify(data);
  const gz = gzipSync(json, { level: 9 });
  writeFileSync(OUT, gz);
  console.log(`${relative(REPO, OUT)}: ${Object.keys(schemas).length} schemas, ${kinds.size} kinds, ${json.length} bytes JSON, ${gz.length} gzipped`);
}

main();
