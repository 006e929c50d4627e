import js from '@eslint/js'
import skipFormatting from 'eslint-config-prettier/flat'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'

export default [
  { ignores: ['dist/**', 'test-results/**', 'playwright-report/**', 'coverage/**'] },
  js.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // One module talks HTTP, so auth, language and error handling apply to every request.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'axios', message: 'Call the API through src/rest/rest.js.' }] },
      ],
      // Tailwind classes only: one styling system, and no CSS that outlives the markup using it.
      'vue/no-restricted-block': ['error', { element: 'style', message: 'Use Tailwind classes.' }],
    },
  },
  {
    files: ['src/rest/rest.js'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['*.config.js', 'build-plugins/**', 'scripts/**', 'e2e/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  skipFormatting,
]
