/** What the audit module offers: the shape of a row of the security log, as the trail reads it. */
export type { SecurityEventRow } from './audit.queries.ts';
