// Obsidian's review lint: eslint-plugin-obsidianmd's recommended config (ESLint's and typescript-eslint's
// type-checked recommended rules plus Obsidian's own), over src/, manifest.json and LICENSE.
// `npm run lint`; CI (.ci/run) fails on any error. Warnings are fixed, or disabled on their line with
// a reason (`-- why`); the plugin forbids disabling its own obsidianmd/* rules inline.
import { defineConfig } from 'eslint/config';
import obsidianmd from 'eslint-plugin-obsidianmd';
import { PlainTextParser } from 'eslint-plugin-obsidianmd/dist/lib/plainTextParser.js';
import { DEFAULT_BRANDS } from 'eslint-plugin-obsidianmd/dist/lib/rules/ui/brands.js';
import tseslint from 'typescript-eslint';

export default defineConfig([
  { ignores: ['main.js', 'dist/**', 'dist.next/**', 'node_modules/**', '.demo/**', 'test/**', 'bench/**', '*.config.*', 'version-bump.mjs'] },
  ...obsidianmd.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Product and technology names keep their spelling in UI text.
      'obsidianmd/ui/sentence-case': [
        'warn',
        { enforceCamelCaseLower: true, brands: [...DEFAULT_BRANDS, 'Claude Code', 'Claude Family', 'Postgres', 'PGlite'], ignoreRegex: ['^postgres(ql)?://'] },
      ],
    },
  },
  {
    // minAppVersion is 1.11.4; the declarative settings API (getSettingDefinitions) is 1.13.0. The tab
    // renders with display(), which every version from 1.11.4 on calls. Revisit when minAppVersion >= 1.13.
    files: ['src/plugin/settingsTab.ts'],
    rules: { 'obsidianmd/settings-tab/prefer-setting-definitions': 'off' },
  },
  {
    // Node programs, not plugin code: the hooks, the CLI and the demo run in a plain Node process
    // (no `window`; their console output is their interface). src/core is shared by them and the plugin,
    // and keeps no timers tied to a window.
    files: ['src/hooks/**', 'src/cli/**', 'src/mcp/**', 'src/demo.ts', 'src/core/**'],
    rules: {
      'obsidianmd/prefer-window-timers': 'off',
      'obsidianmd/rule-custom-message': 'off',
    },
  },
  {
    // The manifest check walks a JS expression: TypeScript's parser reads a .json file as one.
    files: ['manifest.json'],
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
    rules: { 'obsidianmd/validate-manifest': 'error' },
  },
  {
    files: ['LICENSE'],
    languageOptions: { parser: PlainTextParser },
    rules: { 'obsidianmd/validate-license': 'error' },
  },
]);
