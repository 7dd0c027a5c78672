import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildManagementSchema } from './schema';

/** The SDL committed as schema.graphql: sorted, so diffs show real changes only. */
export function renderSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildManagementSchema()))}\n`;
}
