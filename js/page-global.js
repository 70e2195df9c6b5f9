// The entry of page.global.js: connect() for classic (unbundled) content
// scripts, which cannot import a module. See the README, "Every extension context".
import { connect } from './page.js';

globalThis.mv3Telemetry = { connect };
