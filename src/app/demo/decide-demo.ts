import type { Config } from '../config.ts';

export type DemoSwitch = 'on' | 'off_by_flag' | 'off_outside_development';

/**
 * Whether `npm start` may seed the demo (README "Demo data"): only in development and not with
 * ORGBOUND_DEMO=0. (It then seeds only a database without any user: src/app/demo/seed.ts.) Pure. Raises
 * `TypeError` for an ORGBOUND_DEMO other than unset, `0` or `1`, so a typo fails at start instead of
 * seeding by surprise.
 */
export function decideDemoSwitch(env: Config['env'], flag: string | undefined): DemoSwitch {
  if (flag !== undefined && flag !== '' && flag !== '0' && flag !== '1') {
    throw new TypeError(`orgbound: ORGBOUND_DEMO must be 0 or 1 (it is "${flag}")`);
  }
  if (env !== 'development') return 'off_outside_development';
  return flag === '0' ? 'off_by_flag' : 'on';
}
