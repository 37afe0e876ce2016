export type { QueueClient, ResourcesClient, Row, RunsClient, TracelightClient } from './contract.js';
export { HttpClient } from './http.js';
export { LocalClient } from './local.js';
export { DEFAULT_SERVER_URL, openClient, recordServer, SERVER_FILE, serverFor, withClient, type ClientTarget } from './open.js';
export { rolloutsInWindow } from './rollouts-in-window.js';
