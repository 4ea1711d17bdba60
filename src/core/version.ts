// The version of claude-family (package.json, manifest.json and the plugin manifest say the same; a test checks).
export const VERSION = '0.1.0';
