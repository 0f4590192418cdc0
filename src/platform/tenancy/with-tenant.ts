import type { RequestTransaction, TenantSetting } from '../../db/request-transaction.ts';

/**
 * Runs `work` inside the request transaction in another tenant, then goes back to `restore`, both
 * through the one door (RequestTransaction.enterTenant: flush, forget tenant data, set). Used where a
 * capability other than the access token names the tenant: creating an organization (the creator
 * enters the new org) and accepting an invitation (the secret token is org-qualified).
 */
export async function withTenant<T>(tx: RequestTransaction, tenant: TenantSetting, restore: TenantSetting, work: () => Promise<T>): Promise<T> {
  await tx.enterTenant(tenant);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await tx.enterTenant(restore).catch(() => undefined);
    throw err;
  }
  await tx.enterTenant(restore);
  return result;
}
