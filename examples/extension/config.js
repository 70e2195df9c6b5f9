// Options passed to mv3-telemetry's init(). The end-to-end tests copy this
// extension to a temporary folder and overwrite this file with their own.
export const options = {
  endpoint: 'http://127.0.0.1:8787',
  debug: false,
};
