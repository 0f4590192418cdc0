/** What the organizations module offers other modules. */
export { Organization } from './organization.entity.ts';
export { Membership } from './membership.entity.ts';
export { organizationLoaders } from './loaders.ts';
