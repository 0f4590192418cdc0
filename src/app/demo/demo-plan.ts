import { type Role, type Tier } from '../../core/vocabulary.ts';

/*
 * What `npm start` seeds on a development database's first start (README "Demo data"). Every name
 * starts with its org's name so a result in Sandbox shows at a glance which tenant it came from.
 */

/** The password of every demo user. Development only: the seed never runs in production. */
export const DEMO_PASSWORD = 'orgbound-demo-password';

export interface DemoUserPlan {
  readonly email: string;
  readonly displayName: string;
  /** Enrolls TOTP: the user who can enter the CONFIDENTIAL and REGULATED orgs. */
  readonly totp: boolean;
}

export interface DemoOrgPlan {
  readonly name: string;
  readonly tier: Tier;
  /** Creates the org (OWNER). For a CONFIDENTIAL or REGULATED org, the TOTP user. */
  readonly owner: string;
  readonly members: readonly { readonly email: string; readonly role: Exclude<Role, 'OWNER'> }[];
  readonly projects: readonly { readonly name: string; readonly tasks: readonly string[] }[];
}

export const DEMO_USERS: readonly DemoUserPlan[] = [
  { email: 'ada@demo.test', displayName: 'Ada (TOTP enrolled)', totp: true },
  { email: 'bob@demo.test', displayName: 'Bob', totp: false },
  { email: 'carol@demo.test', displayName: 'Carol', totp: false },
];

/**
 * At most one REGULATED org: entering it takes a fresh TOTP code, and a code is accepted once per
 * 30 s step (the enrollment spends the current step, the REGULATED sign-in the next one).
 */
export const DEMO_ORGS: readonly DemoOrgPlan[] = [
  {
    name: 'Acme Corp',
    tier: 'STANDARD',
    owner: 'bob@demo.test',
    members: [
      { email: 'carol@demo.test', role: 'ADMIN' },
      { email: 'ada@demo.test', role: 'MEMBER' },
    ],
    projects: [
      { name: 'Acme: website relaunch', tasks: ['Acme: pick a typeface', 'Acme: write the landing copy'] },
      { name: 'Acme: office move', tasks: ['Acme: book the movers'] },
    ],
  },
  {
    name: 'Northwind Labs',
    tier: 'CONFIDENTIAL',
    owner: 'ada@demo.test',
    members: [
      { email: 'carol@demo.test', role: 'ADMIN' },
      { email: 'bob@demo.test', role: 'MEMBER' },
    ],
    projects: [
      { name: 'Northwind: merger due diligence', tasks: ['Northwind: review the data room', 'Northwind: draft the term sheet'] },
      { name: 'Northwind: patent filing', tasks: ['Northwind: prior-art search'] },
    ],
  },
  {
    name: 'Bastion Health',
    tier: 'REGULATED',
    owner: 'ada@demo.test',
    members: [{ email: 'carol@demo.test', role: 'MEMBER' }],
    projects: [
      { name: 'Bastion: patient-records audit', tasks: ['Bastion: export the access log', 'Bastion: sign off the audit'] },
      { name: 'Bastion: staff privacy training', tasks: ['Bastion: schedule the sessions'] },
    ],
  },
];

/** The orgs `email` belongs to in the plan, with the role (the owner is OWNER), in plan order. */
export function plannedMemberships(email: string): { org: string; role: Role }[] {
  return DEMO_ORGS.flatMap((org) => {
    const role: Role | undefined = org.owner === email ? 'OWNER' : org.members.find((m) => m.email === email)?.role;
    return role ? [{ org: org.name, role }] : [];
  });
}
