/**
 * Volunteer browsers: `joinCluster` makes this tab a worker of a bask cluster (the `/worker`
 * page of a scheduler is one such page). Browser-only: it needs Web Workers and, for
 * peer-to-peer data, WebRTC.
 */
export { joinCluster, Volunteer, type VolunteerStatus } from './host.js';
export type { JoinOptions } from './options.js';
