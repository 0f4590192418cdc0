/** What the identity module offers other modules: accounts, their passwords and their loaders. */
export { User } from './user.entity.ts';
export type { Viewer } from './viewer.ts';
export { email, findUser, findUserByEmail } from './identity.service.ts';
export { hashPassword, verifyPassword } from './password.ts';
export { identityLoaders } from './loaders.ts';
