import type { EntityManager } from 'typeorm';
import { lockInSchema } from '../../db/schema-scoped';

/** The advisory lock that serializes bootstraps of instances starting together (and the first administrator's setup). */
export const lockBootstrap = (em: EntityManager) => lockInSchema(em, 'apiauth:bootstrap');
