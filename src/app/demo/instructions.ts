import type { DemoSummary } from './seed.ts';

/**
 * The text `npm start` prints after seeding: who can sign in where, the TOTP secret, and the first
 * operations to paste into Apollo Sandbox. Pure.
 */
export function formatDemoInstructions(demo: DemoSummary): string {
  const width = Math.max(...demo.users.map((u) => u.email.length));
  const orgWidth = Math.max(...demo.orgs.map((o) => o.name.length));
  const tierOf = (name: string) => demo.orgs.find((o) => o.name === name)?.tier ?? '';
  const standard = demo.orgs.find((o) => o.tier === 'STANDARD');
  const confidential = demo.orgs.find((o) => o.tier === 'CONFIDENTIAL');
  const regulated = demo.orgs.find((o) => o.tier === 'REGULATED');
  const standardOwner = demo.users.find((u) => u.memberships.some((m) => m.org === standard?.name && m.role === 'OWNER'))?.email;
  const signIn = (email: string | undefined, orgId: string | undefined, mfa = '') =>
    `mutation { signIn(email: "${email}", password: "${demo.password}", deviceName: "sandbox", organizationId: "${orgId}"${mfa}) { accessToken } }`;
  return [
    'Demo data (seeded on this first start; never again; ORGBOUND_DEMO=0 turns it off):',
    `  Password of every demo user: ${demo.password}`,
    ...demo.users.map((u) => `  ${u.email.padEnd(width)}  ${u.memberships.map((m) => `${m.role} of ${m.org} (${tierOf(m.org)})`).join(', ')}${u.email === demo.totp.email ? '; TOTP enrolled' : ''}`),
    '',
    ...demo.orgs.map((o) => `  ${o.name.padEnd(orgWidth)}  ${o.tier.padEnd(12)}  id ${o.id}`),
    '',
    `  TOTP secret of ${demo.totp.email}: ${demo.totp.secret}`,
    `    ${demo.totp.otpauthUri}`,
    '    Add it to an authenticator app, or print the current code (run in this folder):',
    `    node -e "import('otpauth').then(({ TOTP }) => console.log(new TOTP({ secret: '${demo.totp.secret}' }).generate()))"`,
    '    (The seed used the codes of this 30 s step and the next: codes work from about a minute after this start.)',
    '',
    `  Try it in Apollo Sandbox (${demo.url}):`,
    `    1. ${signIn(standardOwner, standard?.id)}`,
    '    2. Connection settings (the gear next to the URL) > Shared headers: Authorization = Bearer <accessToken>',
    '    3. query { projects { edges { node { name tasks { title done } } } } }',
    `    CONFIDENTIAL needs a TOTP code: ${signIn(demo.totp.email, confidential?.id, ', mfaCode: "<code>"')}`,
    `    REGULATED is session-per-org: the same signIn with organizationId "${regulated?.id}" and a fresh code.`,
    '',
  ].join('\n');
}
