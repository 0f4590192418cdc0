import DataLoader from 'dataloader';
import { perRequest } from '../../platform/loaders.ts';
import { User } from './user.entity.ts';

/** Identity data, reached only through memberships the viewer can already see. */
export const identityLoaders = perRequest((em) => ({
  userById: new DataLoader<string, User | null>(async (ids) => {
    const rows = await em.find(User, { id: { $in: [...ids] } });
    return ids.map((id) => rows.find((u) => u.id === id) ?? null);
  }),
}));
