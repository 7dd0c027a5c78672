import type { EntityManager } from 'typeorm';

/** The advisory lock that serializes bootstraps of instances starting together (and the first administrator's setup). */
export const lockBootstrap = (em: EntityManager) => em.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['apiauth:bootstrap']);
