// Two build steps that keep vue-i18n small (issue budget: initial JS <= 80 KB gzip).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { baseCompile } from '@intlify/message-compiler'

const VIRTUAL_PREFIX = 'virtual:i18n-messages/'

// `import en from 'virtual:i18n-messages/en'` gives src/locales/en.json with every message
// compiled to vue-i18n's AST, the form its runtime evaluates without the message compiler
// (__INTLIFY_DROP_MESSAGE_COMPILER__). What @intlify/unplugin-vue-i18n does, which needs Node 22.
// A message with a syntax error fails the build, naming its key.
export function precompiledMessages({ localesDir }) {
  return {
    name: 'precompiled-i18n-messages',
    resolveId(source) {
      return source.startsWith(VIRTUAL_PREFIX) ? `\0${source}` : null
    },
    load(id) {
      if (!id.startsWith(`\0${VIRTUAL_PREFIX}`)) return null
      const language = id.slice(VIRTUAL_PREFIX.length + 1)
      const file = new URL(`${language}.json`, localesDir)
      this.addWatchFile(fileURLToPath(file))
      const messages = JSON.parse(readFileSync(file, 'utf8'))
      return `export default ${JSON.stringify(compileTree(messages, `${language}.json`))}`
    },
  }
}

function compileTree(node, path) {
  if (typeof node === 'string') return compileMessage(node, path)
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, compileTree(value, `${path}:${key}`)]),
  )
}

export function compileMessage(message, path = 'message') {
  const errors = []
  const { ast } = baseCompile(message, {
    jit: true,
    minify: true,
    location: false,
    onError: (error) => errors.push(error),
  })
  if (errors.length > 0) throw new Error(`${path}: ${errors[0].message}`)
  return ast
}

// vue-i18n looks Vue's currentInstance up by name on `import * as Vue`; that keeps the whole of
// Vue in the bundle (about 17 KB gzip). Vue 3.5 has no such export, so the lookup always falls
// through to getCurrentInstance(): make that the only path, and tree-shaking works again.
const DYNAMIC_LOOKUP = 'if (key in Vue) {'

export function vueI18nTreeShaking() {
  return {
    name: 'vue-i18n-tree-shaking',
    transform(code, id) {
      if (!/\/vue-i18n\/dist\/vue-i18n(\.runtime)?\.mjs$/.test(id)) return null
      if (!code.includes(DYNAMIC_LOOKUP)) {
        this.warn('vue-i18n no longer has the dynamic Vue lookup: remove this plugin')
        return null
      }
      return { code: code.replace(DYNAMIC_LOOKUP, 'if (false) {'), map: null }
    },
  }
}
