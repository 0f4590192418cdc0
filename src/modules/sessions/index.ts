/** What the sessions module offers other modules: device sessions and their end. */
export { DeviceSession } from './device-session.entity.ts';
export { endSessionsBoundTo } from './revoke.ts';
export type { AuthPayload } from './open-session.ts';
