import DataLoader from 'dataloader';
import { perRequest } from '../../platform/loaders.ts';
import { Organization } from './organization.entity.ts';

/** Organizations are the tenant root: RLS shows the active one and those the viewer belongs to. */
export const organizationLoaders = perRequest((em) => ({
  organizationById: new DataLoader<string, Organization | null>(async (ids) => {
    const rows = await em.find(Organization, { id: { $in: [...ids] } });
    return ids.map((id) => rows.find((o) => o.id === id) ?? null);
  }),
}));
