import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canAssignRole, canRemoveMember, decideMemberRemoval, hasAtLeast, type MemberRemoval } from '../../src/core/roles.ts';
import { type Role } from '../../src/core/vocabulary.ts';

/* Every cell written out: [first argument, second argument, expected]. */

const HAS_AT_LEAST: [Role | null | undefined, Role, boolean][] = [
  ['OWNER', 'OWNER', true],
  ['OWNER', 'ADMIN', true],
  ['OWNER', 'MEMBER', true],
  ['ADMIN', 'OWNER', false],
  ['ADMIN', 'ADMIN', true],
  ['ADMIN', 'MEMBER', true],
  ['MEMBER', 'OWNER', false],
  ['MEMBER', 'ADMIN', false],
  ['MEMBER', 'MEMBER', true],
  // No active membership: no role at all, not even MEMBER.
  [null, 'MEMBER', false],
  [undefined, 'MEMBER', false],
  [null, 'OWNER', false],
];

// Only an OWNER may grant OWNER; ADMIN and OWNER may grant ADMIN or MEMBER; a MEMBER grants nothing.
const CAN_ASSIGN: [Role, Role, boolean][] = [
  ['OWNER', 'OWNER', true],
  ['OWNER', 'ADMIN', true],
  ['OWNER', 'MEMBER', true],
  ['ADMIN', 'OWNER', false],
  ['ADMIN', 'ADMIN', true],
  ['ADMIN', 'MEMBER', true],
  ['MEMBER', 'OWNER', false],
  ['MEMBER', 'ADMIN', false],
  ['MEMBER', 'MEMBER', false],
];

// ADMIN and OWNER remove members of their rank or below; an ADMIN cannot remove an OWNER.
const CAN_REMOVE: [Role, Role, boolean][] = [
  ['OWNER', 'OWNER', true],
  ['OWNER', 'ADMIN', true],
  ['OWNER', 'MEMBER', true],
  ['ADMIN', 'OWNER', false],
  ['ADMIN', 'ADMIN', true],
  ['ADMIN', 'MEMBER', true],
  ['MEMBER', 'OWNER', false],
  ['MEMBER', 'ADMIN', false],
  ['MEMBER', 'MEMBER', false],
];

describe('hasAtLeast(actual, required)', () => {
  for (const [actual, required, expected] of HAS_AT_LEAST) {
    test(`${String(actual)} has at least ${required}: ${expected}`, () => assert.equal(hasAtLeast(actual, required), expected));
  }
});

describe('canAssignRole(actor, granted)', () => {
  for (const [actor, granted, expected] of CAN_ASSIGN) {
    test(`${actor} may grant ${granted}: ${expected}`, () => assert.equal(canAssignRole(actor, granted), expected));
  }
});

describe('canRemoveMember(actor, target)', () => {
  for (const [actor, target, expected] of CAN_REMOVE) {
    test(`${actor} may remove ${target}: ${expected}`, () => assert.equal(canRemoveMember(actor, target), expected));
  }
});

describe('role names from outside the type', () => {
  // A role string read from a tampered claim or row must never rank as anything.
  for (const bogus of ['owner', 'SUPERADMIN', '__proto__', 'constructor', '']) {
    test(`"${bogus}" has no rank`, () => {
      assert.equal(hasAtLeast(bogus as Role, 'MEMBER'), false);
    });
  }
});

// The last-owner rule (issue 15): [actor's live role, target's live role, owners, expected outcome].
const REMOVAL: [Role | null, Role | null, number, MemberRemoval['kind']][] = [
  ['OWNER', 'MEMBER', 1, 'remove'],
  ['OWNER', 'ADMIN', 1, 'remove'],
  ['OWNER', 'OWNER', 2, 'remove'],
  ['OWNER', 'OWNER', 1, 'last_owner'], // an owner removing themselves as the only one
  ['ADMIN', 'MEMBER', 1, 'remove'],
  ['ADMIN', 'ADMIN', 1, 'remove'],
  ['ADMIN', 'OWNER', 2, 'forbidden'],
  ['MEMBER', 'MEMBER', 1, 'forbidden'],
  ['OWNER', null, 1, 'not_member'],
  ['ADMIN', null, 1, 'not_member'],
  // The actor was removed meanwhile (read under the lock): nothing they may do.
  [null, 'OWNER', 1, 'forbidden'],
  [null, 'MEMBER', 2, 'forbidden'],
  // A MEMBER probing for members gets FORBIDDEN, never not_member: membership of others is not theirs to learn.
  ['MEMBER', null, 1, 'forbidden'],
];

describe('decideMemberRemoval', () => {
  for (const [actorRole, targetRole, owners, kind] of REMOVAL) {
    test(`${actorRole ?? 'no longer a member'} removing ${targetRole ?? 'a non-member'} with ${owners} owner(s) → ${kind}`, () => {
      assert.equal(decideMemberRemoval({ actorRole, targetRole, owners }).kind, kind);
    });
  }
});
