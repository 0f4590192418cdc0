/** The installation as the server assembles it: the discovered modules, their shield rules, their schema. */
import { buildSchema } from '../../src/api/graphql/schema.ts';
import { assembleRules } from '../../src/api/graphql/shield.ts';
import { discoverModules } from '../../src/app/modules.ts';

export const modules = await discoverModules();
/** Every module's rules in graphql-shield's shape (`{ Query: { viewer: rule }, Project: allow }`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests reach into it by type and field name
export const rules = assembleRules(modules) as Record<string, any>;
export const schemaWithoutShield = () => buildSchema(modules, { shield: false });
