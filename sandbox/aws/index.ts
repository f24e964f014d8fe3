/** The simulated AWS organization: `new SimulatedOrganization().seedDefault().install()`. */
export { SimulatedOrganization, DEFAULT_EXTERNAL_ID } from './organization.js';
export type { OrganizationOptions, CallRecord } from './organization.js';
export { SEEDED, KEYS, MEMBER_ACCOUNTS, MEMBER_REGIONS } from './seed.js';
export type { Faults } from './faults.js';
export type { CloudState } from './state.js';
export type { ClockMode } from './clock.js';
