import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  buildSchema,
  GraphQLObjectType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type SelectionSetNode,
} from 'graphql';
import { GENERATED_FILE, SCHEMA_FILE } from '../../sdk/codegen';

const ROOT = path.join(__dirname, '..', '..');
const OPERATIONS_DIR = path.join(ROOT, 'sdk', 'operations');

/**
 * Runs GraphQL Code Generator on sdk/codegen.ts in memory (`generate(config, false)` writes nothing),
 * loading the config exactly as `npm run codegen` does. In a child process: the codegen CLI pulls in
 * ESM-only packages that Jest's CommonJS runtime cannot load, and plain Node can.
 */
async function generateInMemory(): Promise<{ filename: string; content: string }[]> {
  const script = `
    const { loadCodegenConfig, generate } = require('@graphql-codegen/cli');
    (async () => {
      const { config } = await loadCodegenConfig({ configFilePath: 'sdk/codegen.ts' });
      const outputs = await generate({ ...config, silent: true }, false);
      process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

function operationDocuments(): { file: string; document: DocumentNode }[] {
  return (fs.readdirSync(OPERATIONS_DIR, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => ({ file, document: parse(fs.readFileSync(path.join(OPERATIONS_DIR, file), 'utf8')) }));
}

describe('typed SDK (sdk/)', () => {
  it('sdk/generated/graphql.ts is what codegen makes of schema.graphql and sdk/operations', async () => {
    const outputs = await generateInMemory();
    expect(outputs.map((o) => path.resolve(ROOT, o.filename))).toEqual([GENERATED_FILE]);
    const fresh = outputs[0].content;
    const committed = fs.existsSync(GENERATED_FILE) ? fs.readFileSync(GENERATED_FILE, 'utf8') : '';
    if (committed !== fresh) {
      throw new Error(
        'sdk/generated/graphql.ts is stale: run `npm run codegen` (after `npm run schema` if the API changed) and commit the result',
      );
    }
  }, 120_000);

  it('selects every Query and Mutation field of schema.graphql in some operation', () => {
    const schema = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => !!t);
    const selected = new Set<string>();
    for (const { document } of operationDocuments()) {
      const typeInfo = new TypeInfo(schema);
      visit(
        document,
        visitWithTypeInfo(typeInfo, {
          Field(node) {
            const parent = typeInfo.getParentType();
            if (parent && roots.includes(parent as GraphQLObjectType)) selected.add(`${parent.name}.${node.name.value}`);
          },
        }),
      );
    }
    const missing = roots
      .flatMap((root) => Object.keys(root.getFields()).map((field) => `${root.name}.${field}`))
      .filter((f) => !selected.has(f));
    if (missing.length > 0) {
      throw new Error(`No SDK operation in sdk/operations selects ${missing.join(', ')}: add one, then run \`npm run codegen\``);
    }
  });

  it('selects userErrors { field message code } in every mutation', () => {
    const offenders: string[] = [];
    const has = (set: SelectionSetNode | undefined, name: string) =>
      set?.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === name);
    for (const { file, document } of operationDocuments()) {
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'mutation') continue;
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind !== Kind.FIELD) continue;
          const userErrors = has(selection.selectionSet, 'userErrors');
          if (!userErrors || !['field', 'message', 'code'].every((f) => has(userErrors.selectionSet, f))) {
            offenders.push(`${file}: ${definition.name?.value ?? '(anonymous)'}.${selection.name.value}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
